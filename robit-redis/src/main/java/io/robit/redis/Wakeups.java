package io.robit.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one daemon timer thread that wakes asynchronous waiters of every Redis driver in this JVM.
 * A wake-up is removed from its queue as soon as its waiter completes otherwise, so a stream of
 * waits leaves nothing behind. Thread-safe.
 */
final class Wakeups {
    private static final ScheduledThreadPoolExecutor TIMER = newTimer();

    private Wakeups() {
    }

    /** Completes {@code waiter} at {@code atNanos} ({@link System#nanoTime}) unless it completes before. */
    static void at(CompletableFuture<Void> waiter, long atNanos) {
        ScheduledFuture<?> task = TIMER.schedule(() -> waiter.complete(null), Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        waiter.whenComplete((ignored, error) -> task.cancel(false));
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "robit-redis-wakeups");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
