package io.robit.jdbc;

import io.robit.DriverException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What {@link JdbcDriver.Builder#build()} learns from the database before the first call: the
 * dialect (unless set), a label naming the database for messages, and the lease table (with its
 * waiter queue on PostgreSQL) when asked to create it. Connects at most once. Stateless.
 */
final class Bootstrap {
    private Bootstrap() {
    }

    /** The dialect and the label ("postgresql jdbc:postgresql://host/db") a driver will use. */
    record Result(Dialect dialect, String label) {
    }

    /**
     * @param dialect the dialect set by the user, or {@code null} to detect it
     * @param label the label to use, or {@code null} to derive it from the connection's URL
     * @throws DriverException the database could not be reached, is not supported, or the table could
     *     not be created
     */
    static Result run(ConnectionSource source, Dialect dialect, String label, String table, boolean createTable) {
        if (dialect != null && !createTable) {
            return new Result(dialect, label != null ? label : dialect.label() + " " + source);
        }
        Dialect chosen = dialect;
        String named = label;
        Connection connection = null;
        boolean broken = true;
        try {
            connection = source.get();
            DatabaseMetaData meta = connection.getMetaData();
            if (chosen == null) {
                chosen = Dialect.detect(meta.getDatabaseProductName(), meta.getDatabaseProductVersion());
            }
            named = named != null ? named : chosen.label() + " " + withoutQuery(meta.getURL());
            if (createTable) {
                createTable(connection, Statements.of(chosen, table));
            }
            broken = false;
            return new Result(chosen, named);
        } catch (SQLException e) {
            String what = chosen == null ? "database" : chosen.label();
            throw new DriverException(what + " " + (named == null ? source : named) + ": "
                    + (createTable ? "creating lease table '" + table + "'" : "detecting the SQL dialect") + " failed: " + e.getMessage(), e);
        } catch (IllegalArgumentException unsupported) {
            throw new DriverException(unsupported.getMessage(), unsupported);
        } finally {
            if (connection != null) {
                // Back to an owned pool, ready for the first call: that call then does not connect within its time limit.
                source.giveBack(connection, broken);
            }
        }
    }

    private static void createTable(Connection connection, Statements statements) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        try (Statement statement = connection.createStatement()) {
            if (!autoCommit) {
                connection.setAutoCommit(true); // DDL and PRAGMA journal_mode outside a transaction
            }
            for (String setup : statements.setup()) {
                statement.execute(setup);
            }
            statement.execute(statements.createTable());
            if (statements.queue() != null) {
                statement.execute(statements.queue().createTable());
                if (!hasHandOverColumns(connection, statements.queue())) {
                    // A queue made by an earlier version: add the hand-over's columns (only then, as
                    // ALTER TABLE waits for every statement on the table).
                    statement.execute(statements.queue().upgrade());
                }
            }
        } finally {
            if (!autoCommit) {
                connection.setAutoCommit(false);
            }
        }
    }

    private static boolean hasHandOverColumns(Connection connection, QueueStatements queue) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(queue.exists())) {
            return rows.next() && rows.getBoolean(3);
        }
    }

    /** The URL without its query, which may carry credentials. */
    private static String withoutQuery(String url) {
        if (url == null) {
            return "(unknown URL)";
        }
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query);
    }
}
