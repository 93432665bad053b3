package io.robit.spi.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * An asynchronous wait made of a blocking one, for a backend whose client can only block (JDBC): the
 * blocking wait runs on the calling thread for at most one short slice, and the returned future is
 * already complete, so a bounded pool of callers keeps turning over between waiters (the caller
 * simply asks again). Stateless.
 */
public final class BlockingWaits {

    /** A wait that blocks the calling thread for at most {@code maxWait}. */
    @FunctionalInterface
    public interface Wait {
        /**
         * Blocks for at most {@code maxWait}; returning early is allowed.
         *
         * @param maxWait the longest to block, positive
         * @throws InterruptedException the thread was interrupted
         */
        void await(Duration maxWait) throws InterruptedException;
    }

    private BlockingWaits() {
    }

    /**
     * Runs {@code wait} for at most {@code slice} (or {@code maxWait}, if shorter) on this thread and
     * returns a completed future: normally, or exceptionally with what the wait threw (the thread's
     * interrupt flag is set again for an {@link InterruptedException}). A {@code maxWait} of zero or
     * less returns at once without waiting.
     *
     * @param maxWait the longest the caller would wait in all
     * @param slice the longest to block this thread now, positive
     * @param wait the blocking wait
     * @return a future that is already complete
     * @throws IllegalArgumentException {@code slice} is not positive
     */
    public static CompletableFuture<Void> inSlice(Duration maxWait, Duration slice, Wait wait) {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        Arguments.positive("slice", slice);
        Objects.requireNonNull(wait, "wait must not be null");
        if (maxWait.isZero() || maxWait.isNegative()) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            wait.await(maxWait.compareTo(slice) < 0 ? maxWait : slice);
            return CompletableFuture.completedFuture(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
