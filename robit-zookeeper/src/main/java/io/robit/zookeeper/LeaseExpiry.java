package io.robit.zookeeper;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one timer behind the ttl of every lease of a driver: a lease not renewed within its ttl is
 * ended and its node deleted ({@link ZooKeeperLease#expireIfDue}). A single task stands at the
 * earliest expiry it was told of; when it runs it checks every live lease and stands again at the
 * earliest expiry left. A lease that expires no sooner than the task (the usual case: a driver's
 * leases mostly share a ttl, and later grants expire later) schedules nothing, so a lock+unlock
 * costs no timer task and 1,000 held leases cost one task per ttl, not one per lease. Thread-safe.
 */
final class LeaseExpiry {
    private final ZooKeeperContext context;
    // Guards the two fields below; never held while a lease is told.
    private final ReentrantLock lock = new ReentrantLock();
    private ScheduledFuture<?> task;
    private long dueNanos;

    LeaseExpiry(ZooKeeperContext context) {
        this.context = context;
    }

    /** Makes sure the timer runs no later than {@code expiresAtNanos} (a ticker reading). */
    void arm(long expiresAtNanos) {
        lock.lock();
        try {
            if (task != null) {
                if (dueNanos - expiresAtNanos <= 0) {
                    return;
                }
                task.cancel(false);
            }
            dueNanos = expiresAtNanos;
            task = context.schedule(this::sweep, Math.max(0, expiresAtNanos - context.ticker().read()), TimeUnit.NANOSECONDS);
        } finally {
            lock.unlock();
        }
    }

    // On the driver's timer: expire the leases that are due, then stand at the earliest expiry left.
    private void sweep() {
        lock.lock();
        try {
            task = null;
        } finally {
            lock.unlock();
        }
        long now = context.ticker().read();
        boolean any = false;
        long earliest = 0;
        for (ZooKeeperLease lease : context.liveLeases()) {
            if (lease.expireIfDue(now)) {
                long at = lease.expiresAtNanos();
                earliest = any && earliest - at <= 0 ? earliest : at;
                any = true;
            }
        }
        // A lease granted during the sweep armed the timer itself (the task was null by then).
        if (any) {
            arm(earliest);
        }
    }
}
