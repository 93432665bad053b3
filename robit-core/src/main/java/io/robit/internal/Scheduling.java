package io.robit.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JVM-wide threads behind every mutex: one daemon scheduler thread that only times things
 * (renewals, deadlines), a small pool of daemon worker threads that make blocking refreshes, and
 * two smaller ones: one runs loss listeners, one releases leases after a loss. Both pools have a fixed
 * size, so the number of threads does not grow with the number of held locks, not even when a
 * backend becomes unreachable and every hold on it is lost at once (tasks queue instead). A pool
 * thread, once started, stays: the timer thread hands tasks to these pools, and a pool that must
 * start a thread does so on the caller, which waits until the new thread has been scheduled; on a
 * loaded host that held the timer thread, and every deadline check behind it, for hundreds of ms
 * (the fault suite's long tier caught it in {@code Hold.lose}). The two loss pools start their
 * threads here, before any loss. Not API.
 *
 * <p>Safety does not depend on these pools keeping up: deadlines are checked on the timer thread,
 * a refresh that waited in the queue past its renewTimeout counts as a failed renewal, and one
 * that left the queue after the local deadline is not sent: the hold is lost.
 */
public final class Scheduling {
    /** Blocking refreshes and loss listeners in flight at once, JVM-wide. */
    public static final int WORKERS = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
    /** Loss listeners running at once, JVM-wide. */
    public static final int NOTIFIERS = 4;
    /** Releases after a loss in flight at once, JVM-wide. */
    public static final int RELEASERS = 4;

    private static final ScheduledThreadPoolExecutor TIMER = newTimer();
    private static final ExecutorService WORKERS_POOL = fixed(WORKERS, "robit-worker");
    private static final ExecutorService NOTIFY_POOL = started(fixed(NOTIFIERS, "robit-notify"));
    private static final ExecutorService RELEASE_POOL = started(fixed(RELEASERS, "robit-release"));

    private Scheduling() {
    }

    /** The single timer thread; tasks run on it must not block. */
    public static ScheduledThreadPoolExecutor timer() {
        return TIMER;
    }

    /** Threads for blocking refreshes (unless a mutex is given its own refresh executor): at most {@link #WORKERS}; extra tasks queue. */
    public static ExecutorService workers() {
        return WORKERS_POOL;
    }

    /**
     * Threads for loss listeners: at most {@link #NOTIFIERS}; extra tasks queue. Apart from the
     * workers so that refreshes stuck on an unreachable backend cannot delay a loss notice.
     */
    public static ExecutorService notifiers() {
        return NOTIFY_POOL;
    }

    /** Threads for releases after a loss: at most {@link #RELEASERS}; extra tasks queue. */
    public static ExecutorService releases() {
        return RELEASE_POOL;
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("robit-timer"));
        // Renewal and deadline tasks are rescheduled constantly; cancelled ones must not pile up.
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return timer;
    }

    private static ThreadPoolExecutor fixed(int threads, String prefix) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemon(prefix));
    }

    private static ThreadPoolExecutor started(ThreadPoolExecutor pool) {
        pool.prestartAllCoreThreads();
        return pool;
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
