package io.robit.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The SQL of PostgreSQL's waiter queue (golden-tested with {@link Statements}): one row per waiting
 * lock call, beside the lease table, so that a free lock goes to the waiter that has waited longest.
 * A row lives while its waiter refreshes it (each failed attempt does); a crashed waiter's row is
 * skipped once it expires. The table is {@code UNLOGGED}: its writes skip the WAL and so the commit
 * flush, and after a server crash it is empty, which only forgets the order. Immutable.
 *
 * <p><b>Direct hand-over.</b> A row also carries the owner string its waiter will hold the lock
 * under and its ttl, so a release that finds a live first waiter grants the lock to it in the same
 * statement (owner, token + 1, expiry = now + that ttl; its row deleted) and notifies it: one durable
 * commit per acquisition. The waiter's next attempt finds the lock its own and only reads it. Rows
 * of drivers from before the hand-over (owner null) are not handed to: the lock is freed and that
 * waiter notified, as before.
 *
 * <p>Parameters, in order: acquire (name, owner, ttl ms, waiter or null, queue ttl ms), whose result
 * is that of {@link Statements#acquire()} except that the remaining time is {@code -1} when the lock
 * is free but another waiter is first, and that a lock handed to this waiter comes back as its token
 * with its remaining time; release (name, owner); leave (name, waiter, owner), one row: the rows it
 * deleted, the notifications it sent, and whether the lock is that owner's; leaveAll (waiter name
 * pattern).
 *
 * @param table the queue table: the lease table's name with {@code _waiters}, or a hash if too long
 * @param createTable DDL, {@code CREATE UNLOGGED TABLE IF NOT EXISTS}
 * @param upgrade DDL that adds the hand-over's columns to a queue table made by an earlier version
 * @param exists one row of three booleans: whether the lease table exists, the queue table, and its
 *     hand-over columns
 * @param acquire takes the lock if it is free and no other live waiter is first (then leaves the
 *     queue), or reads it if a release handed it to this waiter; else queues or refreshes the waiter
 *     (if one is given)
 * @param release frees the lock if ours and hands it to the first live waiter, or if it cannot, notifies
 *     that waiter (or, if none, the lock's name)
 * @param leave removes a waiter that stops waiting; if the lock is free, notifies the next waiter
 * @param leaveAll removes the waiters of a closing driver (names starting with the parameter, a
 *     {@code LIKE} prefix) and notifies each of their locks by name, so its other waiters look again
 */
record QueueStatements(String table, String createTable, String upgrade, String exists, String acquire, String release, String leave,
        String leaveAll) {
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
        String handOver = "q.owner IS NOT NULL AND q.ttl_ms IS NOT NULL";
        return new QueueStatements(q,
                "CREATE UNLOGGED TABLE IF NOT EXISTS " + q + " (\n"
                        + "    name          VARCHAR(255) NOT NULL,\n"
                        + "    waiter        VARCHAR(64)  NOT NULL,\n"
                        + "    queued_at_us  BIGINT       NOT NULL,\n"
                        + "    expires_at_ms BIGINT       NOT NULL,\n"
                        + "    owner         VARCHAR(255),\n"
                        + "    ttl_ms        BIGINT,\n"
                        + "    PRIMARY KEY (name, waiter)\n"
                        + ")",
                "ALTER TABLE " + q + " ADD COLUMN IF NOT EXISTS owner VARCHAR(255), ADD COLUMN IF NOT EXISTS ttl_ms BIGINT",
                "SELECT to_regclass('" + t + "') IS NOT NULL, to_regclass('" + q + "') IS NOT NULL,"
                        + " (SELECT count(*) = 2 FROM pg_attribute WHERE attrelid = to_regclass('" + q + "')"
                        + " AND attname IN ('owner', 'ttl_ms') AND NOT attisdropped)",
                // Statements.acquire's take, allowed only if no other live waiter is first. The queue is
                // read from the statement's snapshot: a waiter queued at the same instant may be passed
                // over once (fairness, not safety: the upsert's row lock still decides who holds).
                "WITH attempt AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(255)) AS owner, CAST(? AS BIGINT) AS ttl_ms,"
                        + " CAST(? AS VARCHAR(64)) AS waiter, CAST(? AS BIGINT) AS queue_ms),"
                        + " first_waiter AS (" + String.format(first, "(SELECT name FROM attempt)", "") + "),"
                        // Handed to this waiter by a release: read it, with what is left of it.
                        + " handed AS (SELECT h.fencing_token, h.expires_at_ms - " + now + " AS remaining_ms FROM " + t + " h"
                        + " JOIN attempt a ON h.name = a.name WHERE a.waiter IS NOT NULL AND h.owner = a.owner AND h.expires_at_ms > " + now + "),"
                        + " taken AS (INSERT INTO " + t + " AS l (name, owner, fencing_token, expires_at_ms)"
                        + " SELECT a.name, a.owner, 1, " + now + " + a.ttl_ms FROM attempt a"
                        + " WHERE NOT EXISTS (SELECT 1 FROM " + t + " h WHERE h.name = a.name AND " + held + ")"
                        + " AND NOT EXISTS (SELECT 1 FROM first_waiter f WHERE f.waiter IS DISTINCT FROM a.waiter)"
                        + " ON CONFLICT (name) DO UPDATE"
                        + " SET owner = EXCLUDED.owner, fencing_token = l.fencing_token + 1, expires_at_ms = EXCLUDED.expires_at_ms"
                        + " WHERE l.owner IS NULL OR l.expires_at_ms <= " + now
                        + " RETURNING l.fencing_token),"
                        // Taken: leave the queue, and sweep rows of waiters that stopped refreshing. Handed: a
                        // place written again by an attempt that raced the hand-over goes too.
                        + " dequeued AS (DELETE FROM " + q + " q USING attempt a WHERE q.name = a.name"
                        + " AND (EXISTS (SELECT 1 FROM taken) AND (q.waiter = a.waiter OR q.expires_at_ms <= " + now + ")"
                        + " OR EXISTS (SELECT 1 FROM handed) AND q.waiter = a.waiter)),"
                        // Neither: join the queue at its end, or stay in place and refresh.
                        + " queued AS (INSERT INTO " + q + " (name, waiter, queued_at_us, expires_at_ms, owner, ttl_ms)"
                        + " SELECT a.name, a.waiter, " + NOW_US + ", " + now + " + a.queue_ms, a.owner, a.ttl_ms FROM attempt a"
                        + " WHERE a.waiter IS NOT NULL AND NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM handed)"
                        + " ON CONFLICT (name, waiter) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms, owner = EXCLUDED.owner, ttl_ms = EXCLUDED.ttl_ms)"
                        + " SELECT fencing_token, CAST(NULL AS BIGINT) AS remaining_ms FROM taken"
                        + " UNION ALL"
                        + " SELECT fencing_token, remaining_ms FROM handed"
                        + " UNION ALL"
                        + " SELECT NULL, COALESCE((SELECT h.expires_at_ms - " + now + " FROM " + t + " h WHERE h.name = a.name AND " + held + "), -1)"
                        + " FROM attempt a WHERE NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM handed)",
                // The lease row is locked first (FOR UPDATE, owner checked), so the waiter's row is only
                // deleted by a release that happens. The waiter's row lock orders the hand-over against
                // the waiter leaving: whichever deletes the row first wins, and a waiter that finds its
                // row gone gives back what it may have been handed.
                "WITH req AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(255)) AS owner),"
                        + " ours AS (SELECT l.name FROM " + t + " l WHERE l.name = (SELECT name FROM req) AND l.owner = (SELECT owner FROM req) FOR UPDATE),"
                        + " candidate AS (SELECT q.name, q.waiter, q.owner FROM " + q + " q JOIN ours o ON q.name = o.name"
                        + " WHERE q.expires_at_ms > " + now + " ORDER BY q.queued_at_us, q.waiter LIMIT 1),"
                        + " next AS (DELETE FROM " + q + " q USING candidate c WHERE q.name = c.name AND q.waiter = c.waiter"
                        + " AND " + handOver + " AND q.expires_at_ms > " + now + " RETURNING q.name, q.waiter, q.owner, q.ttl_ms),"
                        + " handed AS (UPDATE " + t + " l SET owner = n.owner, fencing_token = l.fencing_token + 1, expires_at_ms = " + now + " + n.ttl_ms"
                        + " FROM next n, req r WHERE l.name = n.name AND l.owner = r.owner RETURNING n.waiter),"
                        + " freed AS (UPDATE " + t + " l SET owner = NULL, expires_at_ms = NULL FROM req r"
                        + " WHERE l.name = r.name AND l.owner = r.owner AND NOT EXISTS (SELECT 1 FROM next) RETURNING l.name)"
                        + " SELECT pg_notify('" + channel + "', h.waiter) FROM handed h"
                        + " UNION ALL"
                        // Freed: wake the first waiter if it could not be handed the lock (an earlier version's
                        // row); if it left meanwhile, every waiter of the lock; with nobody queued, the name.
                        + " SELECT pg_notify('" + channel + "', COALESCE((SELECT c.waiter FROM candidate c WHERE c.owner IS NULL), f.name)) FROM freed f",
                // Its third column: the lock is this waiter's already, handed over before this
                // statement began (say while an attempt that raced the release wrote its place again).
                "WITH req AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(64)) AS waiter, CAST(? AS VARCHAR(255)) AS owner),"
                        + " gone AS (DELETE FROM " + q + " q USING req r WHERE q.name = r.name AND q.waiter = r.waiter RETURNING q.name, q.waiter),"
                        + " told AS (SELECT pg_notify('" + channel + "', COALESCE((" + String.format(first, "g.name", " AND q.waiter <> g.waiter") + "), g.name))"
                        + " FROM gone g WHERE NOT EXISTS (SELECT 1 FROM " + t + " h WHERE h.name = g.name AND " + held + "))"
                        + " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM told),"
                        + " EXISTS (SELECT 1 FROM " + t + " h JOIN req r ON h.name = r.name AND h.owner = r.owner)",
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
