package io.robit.internal;

import io.robit.spi.Driver;
import io.robit.spi.support.BlockingWaits;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads and the default wait behind the asynchronous lock calls: a small bounded pool that
 * makes the (blocking) acquire attempts, and {@link Driver#awaitReleaseAsync}'s default. However
 * many callers wait, these calls use at most {@link #POOL_SIZE} platform threads plus the shared
 * timer. Thread-safe. Not API.
 */
public final class AsyncWaits {
    /** The most a blocking {@code awaitRelease} runs on a pool thread before its caller re-queues. */
    public static final long BLOCKING_SLICE_MILLIS = 200;
    /** Threads of the attempt pool. */
    public static final int POOL_SIZE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService POOL = newPool();
    private static final ClassValue<Boolean> BLOCKING_WAIT = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                return type.getMethod("awaitRelease", Object.class, Duration.class).getDeclaringClass() != Driver.class;
            } catch (NoSuchMethodException e) {
                return Boolean.TRUE; // cannot tell: assume an override, which is always correct
            }
        }
    };

    private AsyncWaits() {
    }

    /** The bounded pool on which asynchronous lock calls make their attempts; tasks queue when all threads are busy. */
    public static ExecutorService pool() {
        return POOL;
    }

    /** See {@link Driver#awaitReleaseAsync}: the behaviour of a driver that does not override it. */
    public static <ID> CompletableFuture<Void> byDefault(Driver<ID> driver, ID id, Duration maxWait) {
        long max = maxWait.toNanos();
        if (max <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (BLOCKING_WAIT.get(driver.getClass())) {
            // The driver's own wait knows the backend (notifications, the holder's expiry): use it,
            // in slices, so the bounded pool keeps turning over between waiters.
            return BlockingWaits.inSlice(maxWait, Duration.ofMillis(BLOCKING_SLICE_MILLIS), slice -> driver.awaitRelease(id, slice));
        }
        long jittered = Jitter.nanosBetween(25, 75);
        return after(Math.min(max, jittered));
    }

    /** A future the shared timer completes after {@code nanos}; cancelling it removes the timer task. */
    public static CompletableFuture<Void> after(long nanos) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ScheduledFuture<?> task = Scheduling.timer().schedule(() -> done.complete(null), Math.max(0, nanos), TimeUnit.NANOSECONDS);
        done.whenComplete((ignored, error) -> task.cancel(false));
        return done;
    }

    private static Thread daemon(Runnable task) {
        Thread thread = new Thread(task, "robit-async-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }

    private static ExecutorService newPool() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(POOL_SIZE, POOL_SIZE, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                AsyncWaits::daemon);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
