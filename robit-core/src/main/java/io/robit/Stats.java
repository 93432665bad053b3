package io.robit;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable snapshot of one {@link Mutex}'s counters, from {@link Mutex#stats()}.
 *
 * @param lockAcquired successful acquisitions
 * @param lockFailed lock calls that ended without the lock: {@code tryLock()} finding it held,
 *     a timed wait running out, or a backend error (one per call, not per attempt)
 * @param lockReleased voluntary unlocks
 * @param lockLost holds lost (never counts a voluntary unlock)
 * @param renewSuccess successful lease renewals
 * @param renewFailed renewals that failed with an error or timed out (a renewal the backend
 *     answers with "not yours" is a loss, not a failure)
 * @param totalHoldTime time spent holding the lock, including the current hold
 * @param holdSince when the current hold was acquired; empty when not held
 */
public record Stats(long lockAcquired, long lockFailed, long lockReleased, long lockLost,
                    long renewSuccess, long renewFailed, Duration totalHoldTime, Optional<Instant> holdSince) {
    /**
     * Checks the components.
     *
     * @param lockAcquired successful acquisitions
     * @param lockFailed lock calls that ended without the lock
     * @param lockReleased voluntary unlocks
     * @param lockLost holds lost
     * @param renewSuccess renewals that succeeded
     * @param renewFailed renewals that failed or timed out
     * @param totalHoldTime time spent holding the lock, including the current hold
     * @param holdSince when the current hold began, if held
     */
    public Stats {
        Objects.requireNonNull(totalHoldTime, "totalHoldTime");
        Objects.requireNonNull(holdSince, "holdSince");
    }
}
