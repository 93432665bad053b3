package io.robit.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Every SQL string {@link JdbcDriver} runs, for one dialect and table: the one place per dialect
 * where SQL lives (golden-tested). Immutable.
 *
 * <p>The lease table keeps one row per lock name. A free lock has a null {@code owner} and
 * {@code expires_at_ms}; release never deletes the row, so {@code fencing_token} keeps growing.
 * Expiry is in milliseconds since the epoch by the <em>database server's</em> clock ({@link #now}).
 *
 * <p>Parameters, in order: acquire (name, owner, ttl ms); acquireResult (owner, name); refresh
 * (ttl ms, name, owner); release (name, owner); inspect (name); list (none).
 *
 * <p>The acquire result (of {@code acquire} itself, or of {@code acquireResult} where that is
 * set) is at most one row of two columns: the new fencing token if the lock was taken, else NULL and
 * the current holder's remaining milliseconds by the server's clock (so a waiter can sleep until the
 * expiry without another query). SQLite's {@code RETURNING} reports only a take.
 *
 * @param createTable DDL, {@code CREATE TABLE IF NOT EXISTS}
 * @param setup statements run once after creating the table (SQLite: WAL mode)
 * @param acquire one statement that takes the row if it is absent, free or expired, bumping the token
 * @param acquireResult reads the token of the row just taken or the holder's remaining time, or
 *     {@code null} where {@code acquire} itself returns them ({@code RETURNING})
 * @param refresh extends the lease if it is still ours and unexpired
 * @param release frees the row if it is still ours (PostgreSQL: and notifies waiters)
 * @param inspect one row with the server's current time as {@code now_ms}
 * @param list every row, by name, with {@code now_ms}
 * @param channel the LISTEN/NOTIFY channel (PostgreSQL), else {@code null}
 * @param queue the waiter queue's statements (PostgreSQL), else {@code null}
 */
record Statements(
        String createTable,
        List<String> setup,
        String acquire,
        String acquireResult,
        String refresh,
        String release,
        String inspect,
        String list,
        String channel,
        QueueStatements queue) {

    /** Default lease table name. */
    static final String DEFAULT_TABLE = "robit_locks";

    /** PostgreSQL's longest identifier, and so channel name (NAMEDATALEN - 1). */
    static final int MAX_CHANNEL_BYTES = 63;

    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

    /** The statements for {@code dialect} over {@code table}. */
    static Statements of(Dialect dialect, String table) {
        Objects.requireNonNull(dialect, "dialect must not be null");
        checkTable(table);
        return switch (dialect) {
            case POSTGRESQL -> postgresql(table);
            case MYSQL, MARIADB -> mysql(dialect, table);
            case SQLITE -> sqlite(table);
        };
    }

    /** Every DDL statement of the dialect, as {@link Dialect#createTableSql} shows it: the lease table, then the queue's. */
    String allDdl() {
        return queue == null ? createTable : createTable + ";\n\n" + queue.createTable();
    }

    /** The server-side "now" in epoch milliseconds, per dialect. */
    static String now(Dialect dialect) {
        return switch (dialect) {
            case POSTGRESQL -> "FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";
            case MYSQL, MARIADB -> "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";
            case SQLITE -> "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
        };
    }

    /**
     * Rejects a table name that is not a plain identifier (optionally {@code schema.table}), since
     * it is written into SQL unquoted.
     */
    static String checkTable(String table) {
        Objects.requireNonNull(table, "table must not be null");
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("table must be an SQL identifier (letters, digits, '_', not starting with a digit, "
                    + "at most 63 characters, optionally schema-qualified as schema.table), got '" + table + "'");
        }
        return table;
    }

    private static Statements postgresql(String t) {
        String now = now(Dialect.POSTGRESQL);
        String channel = channel(t);
        return new Statements(
                "CREATE TABLE IF NOT EXISTS " + t + " (\n"
                        + "    name          VARCHAR(255) NOT NULL PRIMARY KEY,\n"
                        + "    owner         VARCHAR(255),\n"
                        + "    fencing_token BIGINT       NOT NULL,\n"
                        + "    expires_at_ms BIGINT\n"
                        + ")",
                List.of(),
                // One statement: the take, and if it did not happen, the holder's remaining time. The
                // NOT EXISTS pre-check is a plain MVCC read, so a waiter that finds the lock held locks
                // no row and writes no WAL; the upsert's WHERE re-checks under the row lock.
                "WITH attempt AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(255)) AS owner, CAST(? AS BIGINT) AS ttl_ms),"
                        + " taken AS (INSERT INTO " + t + " AS l (name, owner, fencing_token, expires_at_ms)"
                        + " SELECT a.name, a.owner, 1, " + now + " + a.ttl_ms FROM attempt a"
                        + " WHERE NOT EXISTS (SELECT 1 FROM " + t + " h WHERE h.name = a.name AND h.owner IS NOT NULL AND h.expires_at_ms > " + now + ")"
                        + " ON CONFLICT (name) DO UPDATE"
                        + " SET owner = EXCLUDED.owner, fencing_token = l.fencing_token + 1, expires_at_ms = EXCLUDED.expires_at_ms"
                        + " WHERE l.owner IS NULL OR l.expires_at_ms <= " + now
                        + " RETURNING l.fencing_token)"
                        + " SELECT fencing_token, CAST(NULL AS BIGINT) AS remaining_ms FROM taken"
                        + " UNION ALL"
                        + " SELECT NULL, h.expires_at_ms - " + now + " FROM " + t + " h JOIN attempt a ON h.name = a.name"
                        + " WHERE h.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM taken)",
                null,
                refresh(t, now),
                "WITH released AS (UPDATE " + t + " SET owner = NULL, expires_at_ms = NULL WHERE name = ? AND owner = ? RETURNING name)"
                        + " SELECT pg_notify('" + channel + "', name) FROM released",
                inspect(t, now),
                list(t, now),
                channel,
                QueueStatements.postgresql(t, channel));
    }

    /**
     * The LISTEN/NOTIFY channel of a PostgreSQL lease table: its name in lower case, or, if that is
     * longer than the 63 bytes {@code pg_notify} accepts (a schema-qualified name can be), a name
     * derived from its hash. Every process over one table derives the same channel.
     */
    static String channel(String table) {
        String folded = table.toLowerCase(Locale.ROOT); // identifiers are ASCII here: characters are bytes
        if (folded.length() <= MAX_CHANNEL_BYTES) {
            return folded;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(folded.getBytes(StandardCharsets.US_ASCII));
            return "robit_" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    private static Statements mysql(Dialect dialect, String t) {
        // Binary and NO PAD, so 'Lock', 'lock' and 'lock ' are three locks, as on the other dialects.
        String nameCollation = dialect == Dialect.MARIADB ? "utf8mb4_nopad_bin" : "utf8mb4_0900_bin";
        String now = now(dialect);
        String free = "owner IS NULL OR expires_at_ms <= " + now;
        return new Statements(
                "CREATE TABLE IF NOT EXISTS " + t + " (\n"
                        + "    name          VARCHAR(255) CHARACTER SET utf8mb4 COLLATE " + nameCollation + " NOT NULL PRIMARY KEY,\n"
                        + "    owner         VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,\n"
                        + "    fencing_token BIGINT NOT NULL,\n"
                        + "    expires_at_ms BIGINT\n"
                        + ") ENGINE = InnoDB",
                List.of(),
                // Right whether an assignment sees the ones before it (left to right, the default) or
                // only the old row (MariaDB's SIMULTANEOUS_ASSIGNMENT): token and owner change before
                // owner or expiry, so "free" reads the old row either way; the expiry moves if the owner
                // is now ours (it was assigned) or the old row was free (it was not yet). Owners are
                // unique per attempt, so an old row never has ours.
                "INSERT INTO " + t + " (name, owner, fencing_token, expires_at_ms) VALUES (?, ?, 1, " + now + " + ?)"
                        + " ON DUPLICATE KEY UPDATE"
                        + " fencing_token = IF(" + free + ", fencing_token + 1, fencing_token),"
                        + " owner = IF(" + free + ", VALUES(owner), owner),"
                        + " expires_at_ms = IF(owner <=> VALUES(owner) OR " + free + ", VALUES(expires_at_ms), expires_at_ms)",
                "SELECT CASE WHEN owner = ? THEN fencing_token END, CASE WHEN owner IS NOT NULL THEN expires_at_ms - " + now + " END"
                        + " FROM " + t + " WHERE name = ?",
                refresh(t, now),
                "UPDATE " + t + " SET owner = NULL, expires_at_ms = NULL WHERE name = ? AND owner = ?",
                inspect(t, now),
                list(t, now),
                null,
                null);
    }

    private static Statements sqlite(String t) {
        String now = now(Dialect.SQLITE);
        return new Statements(
                "CREATE TABLE IF NOT EXISTS " + t + " (\n"
                        + "    name          TEXT    NOT NULL PRIMARY KEY,\n"
                        + "    owner         TEXT,\n"
                        + "    fencing_token INTEGER NOT NULL,\n"
                        + "    expires_at_ms INTEGER\n"
                        + ")",
                List.of("PRAGMA journal_mode = WAL"),
                "INSERT INTO " + t + " AS l (name, owner, fencing_token, expires_at_ms) VALUES (?, ?, 1, " + now + " + ?)"
                        + " ON CONFLICT (name) DO UPDATE"
                        + " SET owner = excluded.owner, fencing_token = l.fencing_token + 1, expires_at_ms = excluded.expires_at_ms"
                        + " WHERE l.owner IS NULL OR l.expires_at_ms <= " + now
                        + " RETURNING fencing_token, NULL AS remaining_ms",
                null,
                refresh(t, now),
                "UPDATE " + t + " SET owner = NULL, expires_at_ms = NULL WHERE name = ? AND owner = ?",
                inspect(t, now),
                list(t, now),
                null,
                null);
    }

    private static String refresh(String t, String now) {
        return "UPDATE " + t + " SET expires_at_ms = " + now + " + ? WHERE name = ? AND owner = ? AND expires_at_ms > " + now;
    }

    private static String inspect(String t, String now) {
        return "SELECT name, owner, fencing_token, expires_at_ms, " + now + " AS now_ms FROM " + t + " WHERE name = ?";
    }

    private static String list(String t, String now) {
        return "SELECT name, owner, fencing_token, expires_at_ms, " + now + " AS now_ms FROM " + t + " ORDER BY name";
    }
}
