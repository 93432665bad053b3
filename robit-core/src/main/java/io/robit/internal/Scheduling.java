package io.robit.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JVM-wide threads behind every mutex: one daemon scheduler thread that only times things
 * (renewals, deadlines), and a pool of daemon worker threads that make the blocking calls
 * (refresh, release after loss) and run loss listeners, so one slow backend cannot delay the
 * timers of other locks. Not API.
 */
public final class Scheduling {
    private static final ScheduledThreadPoolExecutor TIMER = newTimer();
    private static final ExecutorService WORKERS = newWorkers();

    private Scheduling() {
    }

    /** The single timer thread; tasks run on it must not block. */
    public static ScheduledThreadPoolExecutor timer() {
        return TIMER;
    }

    /** Threads for blocking driver calls and listeners; grows on demand, idle threads retire. */
    public static ExecutorService workers() {
        return WORKERS;
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("robit-timer"));
        // Renewal and deadline tasks are rescheduled constantly; cancelled ones must not pile up.
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return timer;
    }

    private static ExecutorService newWorkers() {
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemon("robit-worker"));
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        ThreadFactory base = Executors.defaultThreadFactory();
        return runnable -> {
            Thread thread = base.newThread(runnable);
            thread.setName(prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
