package io.robit.etcd;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts each hold's watch a short delay after its acquire, from one timer task for all holds.
 *
 * <p>Most holds are short: they end before the delay and never open a watch (a gRPC stream and a
 * server-side watcher each), and a busy driver wakes its timer once per delay instead of twice per
 * hold. Nothing is missed: the watch starts at the revision after the key's creation, so a delete
 * in between is replayed at once; a loss in the first moments of a hold is reported at most
 * {@link #DELAY_MILLIS} later. Thread-safe.
 */
final class DeferredWatches {
    static final long DELAY_MILLIS = 50;
    private static final long DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(DELAY_MILLIS);

    private final ScheduledExecutorService timer;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sweepScheduled = new AtomicBoolean();

    DeferredWatches(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** Starts {@code lease}'s watch {@link #DELAY_MILLIS} from now, unless the hold has ended by then. */
    void watchSoon(EtcdLease lease) {
        pending.add(new Pending(lease, System.nanoTime() + DELAY_NANOS));
        scheduleSweep(DELAY_NANOS);
    }

    private void sweep() {
        sweepScheduled.set(false);
        long now = System.nanoTime();
        // Entries are due in the order they were added.
        for (Pending next = pending.peek(); next != null; next = pending.peek()) {
            long wait = next.dueNanos - now;
            if (wait > 0) {
                scheduleSweep(wait);
                return;
            }
            pending.poll();
            next.lease.watchFrom(next.lease.fencingToken() + 1);
        }
    }

    private void scheduleSweep(long delayNanos) {
        if (sweepScheduled.compareAndSet(false, true)) {
            try {
                timer.schedule(this::sweep, delayNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // The driver is closed: no more watches.
                pending.clear();
            }
        }
    }

    private record Pending(EtcdLease lease, long dueNanos) {
    }
}
