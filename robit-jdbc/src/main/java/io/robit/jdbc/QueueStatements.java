package io.robit.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The SQL of PostgreSQL's waiter queue (golden-tested with {@link Statements}): one row per waiting
 * lock call, beside the lease table, so that a free lock goes to the waiter that has waited longest
 * and a release wakes that waiter only. A row lives while its waiter refreshes it (each failed
 * attempt does); a crashed waiter's row is skipped once it expires. The table is {@code UNLOGGED}: its
 * writes skip the WAL and so the commit flush, and after a server crash it is empty, which only
 * forgets the order. Immutable.
 *
 * <p>Parameters, in order: acquire (name, owner, ttl ms, waiter or null, queue ttl ms), whose result
 * is that of {@link Statements#acquire()} except that the remaining time is {@code -1} when the lock
 * is free but another waiter is first; release (name, owner); leave (name, waiter); leaveAll (waiter
 * name pattern).
 *
 * @param table the queue table: the lease table's name with {@code _waiters}, or a hash if too long
 * @param createTable DDL, {@code CREATE UNLOGGED TABLE IF NOT EXISTS}
 * @param exists one row of two booleans: whether the lease table exists, and the queue table
 * @param acquire takes the lock if it is free and no other live waiter is first (then leaves the
 *     queue); else queues or refreshes the waiter (if one is given)
 * @param release frees the lock if ours, and notifies the first live waiter (or, if none, the lock's name)
 * @param leave removes a waiter that stops waiting; if the lock is free, notifies the next waiter
 * @param leaveAll removes the waiters of a closing driver (names starting with the parameter, a
 *     {@code LIKE} prefix) and notifies each of their locks by name, so its other waiters look again
 */
record QueueStatements(String table, String createTable, String exists, String acquire, String release, String leave, String leaveAll) {
    /** PostgreSQL's longest identifier, in bytes. */
    private static final int MAX_IDENTIFIER = 63;
    private static final String SUFFIX = "_waiters";
    private static final String NOW_US = "FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT";

    static QueueStatements postgresql(String leaseTable, String channel) {
        String q = table(leaseTable);
        String t = leaseTable;
        String now = Statements.now(Dialect.POSTGRESQL);
        String held = "h.owner IS NOT NULL AND h.expires_at_ms > " + now;
        String first = "SELECT q.waiter FROM " + q + " q WHERE q.name = %s AND q.expires_at_ms > " + now + "%s"
                + " ORDER BY q.queued_at_us, q.waiter LIMIT 1";
        return new QueueStatements(q,
                "CREATE UNLOGGED TABLE IF NOT EXISTS " + q + " (\n"
                        + "    name          VARCHAR(255) NOT NULL,\n"
                        + "    waiter        VARCHAR(64)  NOT NULL,\n"
                        + "    queued_at_us  BIGINT       NOT NULL,\n"
                        + "    expires_at_ms BIGINT       NOT NULL,\n"
                        + "    PRIMARY KEY (name, waiter)\n"
                        + ")",
                "SELECT to_regclass('" + t + "') IS NOT NULL, to_regclass('" + q + "') IS NOT NULL",
                // Statements.acquire's take, allowed only if no other live waiter is first. The queue is
                // read from the statement's snapshot: a waiter queued at the same instant may be passed
                // over once (fairness, not safety: the upsert's row lock still decides who holds).
                "WITH attempt AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(255)) AS owner, CAST(? AS BIGINT) AS ttl_ms,"
                        + " CAST(? AS VARCHAR(64)) AS waiter, CAST(? AS BIGINT) AS queue_ms),"
                        + " first_waiter AS (" + String.format(first, "(SELECT name FROM attempt)", "") + "),"
                        + " taken AS (INSERT INTO " + t + " AS l (name, owner, fencing_token, expires_at_ms)"
                        + " SELECT a.name, a.owner, 1, " + now + " + a.ttl_ms FROM attempt a"
                        + " WHERE NOT EXISTS (SELECT 1 FROM " + t + " h WHERE h.name = a.name AND " + held + ")"
                        + " AND NOT EXISTS (SELECT 1 FROM first_waiter f WHERE f.waiter IS DISTINCT FROM a.waiter)"
                        + " ON CONFLICT (name) DO UPDATE"
                        + " SET owner = EXCLUDED.owner, fencing_token = l.fencing_token + 1, expires_at_ms = EXCLUDED.expires_at_ms"
                        + " WHERE l.owner IS NULL OR l.expires_at_ms <= " + now
                        + " RETURNING l.fencing_token),"
                        // Taken: leave the queue, and sweep rows of waiters that stopped refreshing.
                        + " dequeued AS (DELETE FROM " + q + " q USING attempt a WHERE q.name = a.name"
                        + " AND (q.waiter = a.waiter OR q.expires_at_ms <= " + now + ") AND EXISTS (SELECT 1 FROM taken)),"
                        // Not taken: join the queue at its end, or stay in place and refresh.
                        + " queued AS (INSERT INTO " + q + " (name, waiter, queued_at_us, expires_at_ms)"
                        + " SELECT a.name, a.waiter, " + NOW_US + ", " + now + " + a.queue_ms FROM attempt a"
                        + " WHERE a.waiter IS NOT NULL AND NOT EXISTS (SELECT 1 FROM taken)"
                        + " ON CONFLICT (name, waiter) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms)"
                        + " SELECT fencing_token, CAST(NULL AS BIGINT) AS remaining_ms FROM taken"
                        + " UNION ALL"
                        + " SELECT NULL, COALESCE((SELECT h.expires_at_ms - " + now + " FROM " + t + " h WHERE h.name = a.name AND " + held + "), -1)"
                        + " FROM attempt a WHERE NOT EXISTS (SELECT 1 FROM taken)",
                "WITH released AS (UPDATE " + t + " SET owner = NULL, expires_at_ms = NULL WHERE name = ? AND owner = ? RETURNING name)"
                        + " SELECT pg_notify('" + channel + "', COALESCE((" + String.format(first, "r.name", "") + "), r.name)) FROM released r",
                "WITH gone AS (DELETE FROM " + q + " WHERE name = ? AND waiter = ? RETURNING name, waiter)"
                        + " SELECT pg_notify('" + channel + "', COALESCE((" + String.format(first, "g.name", " AND q.waiter <> g.waiter") + "), g.name))"
                        + " FROM gone g WHERE NOT EXISTS (SELECT 1 FROM " + t + " h WHERE h.name = g.name AND " + held + ")",
                "WITH gone AS (DELETE FROM " + q + " WHERE waiter LIKE ? RETURNING name)"
                        + " SELECT pg_notify('" + channel + "', g.name) FROM (SELECT DISTINCT name FROM gone) g");
    }

    /**
     * The queue table of {@code leaseTable}: in the same schema, named {@code <table>_waiters}, or
     * {@code robit_waiters_} and 32 hex digits of a hash where that would pass PostgreSQL's 63 bytes.
     */
    static String table(String leaseTable) {
        int dot = leaseTable.indexOf('.');
        String schema = dot < 0 ? "" : leaseTable.substring(0, dot + 1);
        String name = leaseTable.substring(dot + 1);
        if (name.length() + SUFFIX.length() <= MAX_IDENTIFIER) {
            return schema + name + SUFFIX;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
            return schema + "robit_waiters_" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
