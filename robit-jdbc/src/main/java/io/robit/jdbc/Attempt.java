package io.robit.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The outcome of one take: the new token (of a take, or of a claimed hand-over, which the attempt
 * also made its own for the whole ttl), or the holder's remaining time if known ({@code -1}: free,
 * but another waiter is first), and whether the attempt's waiter is now in the queue.
 */
record Attempt(Long token, Long remainingMillis, boolean queued) {
    /**
     * @param asWaiter the attempt queues when it fails
     */
    static Attempt read(ResultSet rows, boolean asWaiter) throws SQLException {
        if (!rows.next()) {
            return new Attempt(null, null, asWaiter);
        }
        long token = rows.getLong(1);
        Long taken = rows.wasNull() ? null : token;
        long remaining = rows.getLong(2);
        Long left = rows.wasNull() ? null : remaining;
        return new Attempt(taken, left, asWaiter && taken == null);
    }

    /** Queued, and the lock was free but another waiter is first (elsewhere a negative time is a holder just expired). */
    boolean othersFirst() {
        return queued && remainingMillis != null && remainingMillis < 0;
    }
}
