package io.robit.jdbc;

import java.util.Locale;

/**
 * The SQL databases {@link JdbcDriver} speaks. The driver detects the dialect from the connection's
 * metadata unless one is set with {@link JdbcDriver.Builder#dialect}. Every SQL string the driver
 * runs comes from one place per dialect (see {@link #createTableSql}).
 */
public enum Dialect {
    /** PostgreSQL 9.5 or later (upsert); waits with LISTEN/NOTIFY. */
    POSTGRESQL("postgresql"),
    /** MySQL 8.0.17 or later (the {@code utf8mb4_0900_bin} collation). */
    MYSQL("mysql"),
    /** MariaDB 10.3 or later. */
    MARIADB("mariadb"),
    /** SQLite 3.35 or later (upsert with RETURNING), in WAL mode; one host only. */
    SQLITE("sqlite");

    private final String label;

    Dialect(String label) {
        this.label = label;
    }

    /** The lower-case name used in messages and URIs, e.g. {@code "postgresql"}. */
    public String label() {
        return label;
    }

    /**
     * The {@code CREATE TABLE IF NOT EXISTS} statement for the lease table in this dialect: the DDL
     * to run by hand, or what {@link JdbcDriver.Builder#createTableIfMissing()} runs. For PostgreSQL,
     * two statements separated by {@code ";"}: the lease table, then its waiter queue
     * ({@code <table>_waiters}, which serves waiters in arrival order; without it waiters are served
     * as they come, see docs/jdbc.md).
     *
     * @param table the table name: an identifier, optionally schema-qualified ({@code schema.table})
     * @throws IllegalArgumentException if {@code table} is not such an identifier
     */
    public String createTableSql(String table) {
        return Statements.of(this, table).allDdl();
    }

    /**
     * Picks the dialect for a database product, as JDBC's
     * {@link java.sql.DatabaseMetaData#getDatabaseProductName()} and
     * {@link java.sql.DatabaseMetaData#getDatabaseProductVersion()} report it.
     *
     * @throws IllegalArgumentException for a database Robit does not support
     */
    static Dialect detect(String productName, String productVersion) {
        String name = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        String version = productVersion == null ? "" : productVersion.toLowerCase(Locale.ROOT);
        if (name.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (name.contains("mariadb") || (name.contains("mysql") && version.contains("mariadb"))) {
            return MARIADB;
        }
        if (name.contains("mysql")) {
            return MYSQL;
        }
        if (name.contains("sqlite")) {
            return SQLITE;
        }
        throw new IllegalArgumentException("unsupported database '" + productName + "' (version '" + productVersion
                + "'); Robit's JDBC driver supports PostgreSQL, MySQL, MariaDB and SQLite");
    }
}
