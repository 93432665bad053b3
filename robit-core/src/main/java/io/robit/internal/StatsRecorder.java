package io.robit.internal;

import io.robit.Stats;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/** Counters behind {@link Stats}; thread-safe. Not API. */
public final class StatsRecorder {
    private final LongAdder acquired = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder released = new LongAdder();
    private final LongAdder lost = new LongAdder();
    private final LongAdder renewSuccess = new LongAdder();
    private final LongAdder renewFailed = new LongAdder();

    // Hold time needs the completed total and the current hold's start read together.
    private final ReentrantLock holdLock = new ReentrantLock();
    private long completedHoldNanos;
    private long holdStartNanos;
    private Instant holdSince;
    // The current hold's renewals by its session, counted by the hold when asked (see SessionMember).
    private LongSupplier liveRenewals;

    public void recordAcquired(long nowNanos, Instant at) {
        acquired.increment();
        holdLock.lock();
        try {
            holdStartNanos = nowNanos;
            holdSince = at;
        } finally {
            holdLock.unlock();
        }
    }

    public void recordFailed() {
        failed.increment();
    }

    public void recordReleased(long nowNanos) {
        released.increment();
        endHold(nowNanos);
    }

    public void recordLost(long nowNanos) {
        lost.increment();
        endHold(nowNanos);
    }

    public void recordRenewSuccess() {
        renewSuccess.increment();
    }

    /** Counts the renewals {@code count} reports as successes until {@link #settleLive} with the same supplier. */
    public void countLive(LongSupplier count) {
        holdLock.lock();
        try {
            liveRenewals = count;
        } finally {
            holdLock.unlock();
        }
    }

    /** Adds what {@code count} reports now to the renewals, for good; later calls with it change nothing. */
    public void settleLive(LongSupplier count) {
        holdLock.lock();
        try {
            if (liveRenewals == count) {
                liveRenewals = null;
                renewSuccess.add(count.getAsLong());
            }
        } finally {
            holdLock.unlock();
        }
    }

    public void recordRenewFailed() {
        renewFailed.increment();
    }

    private void endHold(long nowNanos) {
        holdLock.lock();
        try {
            if (holdSince != null) {
                completedHoldNanos += Math.max(0, nowNanos - holdStartNanos);
                holdSince = null;
            }
        } finally {
            holdLock.unlock();
        }
    }

    public Stats snapshot(long nowNanos) {
        long total;
        Instant since;
        long renewed;
        holdLock.lock();
        try {
            // With the sum, under the lock that settleLive moves the count under: never counted twice.
            renewed = renewSuccess.sum() + (liveRenewals == null ? 0 : liveRenewals.getAsLong());
            since = holdSince;
            total = completedHoldNanos + (since == null ? 0 : Math.max(0, nowNanos - holdStartNanos));
        } finally {
            holdLock.unlock();
        }
        return new Stats(acquired.sum(), failed.sum(), released.sum(), lost.sum(),
                renewed, renewFailed.sum(), Duration.ofNanos(total), Optional.ofNullable(since));
    }
}
