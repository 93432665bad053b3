package io.robit.jdbc;

import io.robit.DriverException;
import java.sql.SQLException;
import java.util.Locale;

/** Reads {@link SQLException}s per dialect: which are worth a retry, which mean a missing table. Stateless. */
final class Failures {
    private Failures() {
    }

    /**
     * A failure that a retry of the same statement may get past: a serialization failure or
     * deadlock (SQLState class 40), or SQLite's busy/locked after its busy timeout.
     */
    static boolean isTransient(Dialect dialect, SQLException e) {
        String state = e.getSQLState();
        if (state != null && state.startsWith("40")) {
            return true;
        }
        if (dialect == Dialect.SQLITE) {
            int primary = e.getErrorCode() & 0xff;
            return primary == 5 || primary == 6 || message(e).contains("sqlite_busy") || message(e).contains("sqlite_locked");
        }
        return false;
    }

    /**
     * Whether the statement may have taken effect although it failed: the connection broke or the
     * statement was cancelled (timeout), so the answer was lost. A definite error (missing table,
     * read-only database, constraint) is not uncertain.
     */
    static boolean isUncertain(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.startsWith("08") || state.equals("57014") || state.startsWith("57P")
                || e instanceof java.sql.SQLTimeoutException || e instanceof java.sql.SQLRecoverableException
                || e instanceof java.sql.SQLTransientConnectionException || e instanceof java.sql.SQLNonTransientConnectionException;
    }

    /** Whether the lease table does not exist. */
    static boolean isMissingTable(Dialect dialect, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return switch (dialect) {
            case POSTGRESQL -> state.equals("42P01");
            case MYSQL, MARIADB -> state.equals("42S02") || e.getErrorCode() == 1146;
            case SQLITE -> message(e).contains("no such table");
        };
    }

    /**
     * The {@link DriverException} for a failed call: it names the dialect and database, the lock
     * and the operation, and for a missing table says how to create it: in the words of the URI
     * when the driver was opened from one ({@code fromUri}), else of the Java builder.
     */
    static DriverException translate(Dialect dialect, String backend, String table, String operation, String lock, SQLException e,
            boolean fromUri) {
        Throwable cause = e;
        if (isMissingTable(dialect, e)) {
            String how = fromUri ? "add ?createTable=true to the backend URI (Robit then creates it)"
                    : "create it with JdbcDriver.builder(dataSource).createTableIfMissing()";
            cause = new SQLException("lease table '" + table + "' does not exist; " + how + ", or run: "
                    + dialect.createTableSql(table).replaceAll("\\s+", " "), e.getSQLState(), e.getErrorCode(), e);
        }
        return new DriverException(backend, lock, operation, cause);
    }

    private static String message(SQLException e) {
        return e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
    }
}
