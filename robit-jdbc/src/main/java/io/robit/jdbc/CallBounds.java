package io.robit.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.TimeUnit;

/**
 * What a call of {@link JdbcStore} does to its borrowed connection so that it cannot outlive its
 * {@link Deadline}: socket reads and statements bounded by the time left, and a rollback after a
 * failure. Stateless.
 */
final class CallBounds {
    private CallBounds() {
    }

    /**
     * Bounds every socket read of this call by what is left of {@code deadline}, in milliseconds:
     * the query timeout alone counts whole seconds and relies on the server answering a cancel,
     * which an unreachable server never does, so without this a call could block its thread forever.
     */
    static void boundNetworkWaits(Connection connection, Deadline deadline) throws SQLException {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos())));
        try {
            connection.setNetworkTimeout(Runnable::run, millis);
        } catch (SQLFeatureNotSupportedException | UnsupportedOperationException noNetwork) {
            // SQLite: a file, no socket to bound.
        }
    }

    /**
     * A statement whose JDBC query timeout is what is left of {@code deadline}, in whole seconds
     * rounded up. Where the connection's reads are bounded by the network timeout (servers), one
     * second more: then the network timeout always ends a call to a silent server first, before
     * pgjdbc starts a cancel that it would wait for (up to its 10 s cancelSignalTimeout) on a
     * server that cannot be reached.
     */
    static PreparedStatement prepare(Connection connection, String statement, Deadline deadline) throws SQLException {
        PreparedStatement prepared = connection.prepareStatement(statement);
        prepared.setQueryTimeout(deadline.seconds() + (hasNetworkTimeout(connection) ? 1 : 0));
        return prepared;
    }

    private static boolean hasNetworkTimeout(Connection connection) {
        try {
            return connection.getNetworkTimeout() > 0;
        } catch (SQLException | UnsupportedOperationException noNetwork) {
            return false;
        }
    }

    static void rollbackQuietly(Connection connection) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException ignored) {
            // The connection is dropped as broken anyway.
        }
    }
}
