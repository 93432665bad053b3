package io.robit.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The outcome of one take: the new token, or the holder's remaining time if known ({@code -1}:
 * free, but another waiter is first), and whether the attempt's waiter is now in the queue. A lock
 * that a release handed to this waiter earlier also carries what was left of it when read
 * ({@code handedLeftMillis}, else null): its grant is older than this attempt.
 */
record Attempt(Long token, Long remainingMillis, boolean queued, Long handedLeftMillis) {
    /**
     * @param asWaiter the attempt queues when it fails
     * @param queue the waiter queue's statement answered (a token with a remaining time is then a
     *     hand-over; elsewhere MySQL's read-back gives both for a take)
     */
    static Attempt read(ResultSet rows, boolean asWaiter, boolean queue) throws SQLException {
        if (!rows.next()) {
            return new Attempt(null, null, asWaiter, null);
        }
        long token = rows.getLong(1);
        Long taken = rows.wasNull() ? null : token;
        long remaining = rows.getLong(2);
        Long left = rows.wasNull() ? null : remaining;
        Long handed = queue && taken != null ? left : null;
        return new Attempt(taken, left, asWaiter && taken == null, handed);
    }

    /** Queued, and the lock was free but another waiter is first (elsewhere a negative time is a holder just expired). */
    boolean othersFirst() {
        return queued && remainingMillis != null && remainingMillis < 0;
    }
}
