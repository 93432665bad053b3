package io.robit.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Where {@link JdbcDriver} gets a connection for one call and gives it back right after: no
 * connection is held between calls (except PostgreSQL's one listening connection). Thread-safe.
 */
interface ConnectionSource extends AutoCloseable {

    /** A connection for one call. */
    Connection get() throws SQLException;

    /**
     * Gives a connection back. {@code broken} means a call on it failed, so an owned pool drops it
     * instead of reusing it; a user's data source gets it closed either way (its pool decides).
     */
    void giveBack(Connection connection, boolean broken);

    /** Closes what this source owns: nothing for a user's data source. Idempotent. */
    @Override
    void close();

    /** A user's {@link DataSource}: closing a connection hands it back to the user's pool. */
    static ConnectionSource of(DataSource dataSource) {
        return new ConnectionSource() {
            @Override
            public Connection get() throws SQLException {
                return dataSource.getConnection();
            }

            @Override
            public void giveBack(Connection connection, boolean broken) {
                closeQuietly(connection);
            }

            @Override
            public void close() {
            }

            @Override
            public String toString() {
                return dataSource.toString();
            }
        };
    }

    static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Nothing useful to do: the connection is being dropped anyway.
        }
    }
}
