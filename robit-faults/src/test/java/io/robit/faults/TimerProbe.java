package io.robit.faults;

import io.robit.internal.Scheduling;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Measures Robit's own timer thread in a worker process: a task on the scheduler the core times
 * every renewal and local deadline on ({@link Scheduling#timer()}, the default of every
 * {@code Mutex}) asks to run every {@link #PERIOD_NANOS} and records each wake-up later than
 * {@link #LATE_NANOS} ({@code timerLate}: due, ran). Where Linux offers the thread's scheduler account
 * ({@link SchedStat}), each late record also says how the timer thread spent the interval since its
 * previous run ({@code prev}): {@code waitNs} runnable but waiting for a CPU, {@code runNs} on a CPU,
 * {@code slices} timeslices. Mostly waiting is a starved thread (the host's fault); mostly running is
 * a busy one and neither a blocked one (both Robit's). A watcher thread records what the timer thread
 * was doing when the probe is overdue ({@code timerStack}: its state and top frames), once per
 * wake-up. With the stall detector's record this tells "the process was not scheduled" from "the
 * timer thread was busy or starved while the process ran". Thread-safe.
 */
final class TimerProbe {
    static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final int FRAMES = 8;

    private final History history;
    private final String worker;
    private volatile long due;
    private volatile Thread timer;
    private long previousRun; // timer thread only
    private SchedStat previousStat; // timer thread only; null where /proc offers no schedstat
    private long sampledDue; // watcher thread only

    private TimerProbe(History history, String worker) {
        this.history = history;
        this.worker = worker;
    }

    /** Starts the probe and its watcher (daemon threads; they end with the process). */
    static void start(History history, String worker) {
        TimerProbe probe = new TimerProbe(history, worker);
        probe.schedule(System.nanoTime());
        Thread watcher = new Thread(probe::watch, "timer-probe-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void schedule(long now) {
        due = now + PERIOD_NANOS;
        Scheduling.timer().schedule(this::ran, PERIOD_NANOS, TimeUnit.NANOSECONDS);
    }

    private void ran() {
        long now = System.nanoTime();
        SchedStat stat = SchedStat.self(); // read at once: the account must end where "t" does
        timer = Thread.currentThread();
        long scheduledFor = due;
        if (now - scheduledFor > LATE_NANOS) {
            if (stat != null && previousStat != null) {
                SchedStat spent = stat.minus(previousStat);
                history.record("w", worker, "e", "timerLate", "from", scheduledFor, "t", now, "prev", previousRun,
                        "waitNs", spent.waitNanos(), "runNs", spent.runNanos(), "slices", spent.slices());
            } else {
                history.record("w", worker, "e", "timerLate", "from", scheduledFor, "t", now);
            }
        }
        previousRun = now;
        previousStat = stat;
        schedule(now);
    }

    private void watch() {
        while (true) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long scheduledFor = due;
            Thread t = timer;
            if (t != null && now - scheduledFor > LATE_NANOS && scheduledFor != sampledDue) {
                sampledDue = scheduledFor;
                String frames = Arrays.stream(t.getStackTrace()).limit(FRAMES).map(StackTraceElement::toString)
                        .collect(Collectors.joining(" < "));
                history.record("w", worker, "e", "timerStack", "from", scheduledFor, "t", now, "state", t.getState(), "frames", frames);
            }
        }
    }
}
