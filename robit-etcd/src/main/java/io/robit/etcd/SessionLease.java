package io.robit.etcd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One etcd lease that a driver shares among all its holds of one ttl (etcd's
 * {@code concurrency.Session}, minus the background keep-alive: holds keep it alive through their
 * refreshes). Thread-safe.
 *
 * <p>It counts its <em>users</em>: every acquire from just before its transaction is sent (its key
 * may be bound to this lease from then on) until it fails or its hold ends. A lease is revoked only
 * once it is retired and has no users, atomically, so a revoke never deletes the key of a live hold
 * or of an acquire in flight.
 *
 * <p>It tracks a lower bound of when etcd will expire it: the send time of the last successful
 * grant or keep-alive plus the TTL etcd granted (not the one asked for; etcd raises small TTLs to
 * its minimum and counts from when it handles the request, after we sent it).
 */
final class SessionLease {
    private static final int RETIRED = 1 << 30;
    private final long id;
    private final long grantedTtlNanos;
    private final AtomicLong aliveFromNanos;
    // Acquires in flight and live holds (keys a revoke would wrongly delete), plus the RETIRED bit.
    private final AtomicInteger users = new AtomicInteger();
    private volatile boolean dead;

    SessionLease(long id, long grantedTtlSeconds, long sentNanos) {
        this.id = id;
        this.grantedTtlNanos = grantedTtlSeconds * 1_000_000_000L;
        this.aliveFromNanos = new AtomicLong(sentNanos);
    }

    long id() {
        return id;
    }

    long grantedTtlNanos() {
        return grantedTtlNanos;
    }

    /** Whether etcd surely keeps this lease until {@code nanos} (a {@link System#nanoTime()} reading), unless revoked. */
    boolean lastsUntil(long nanos) {
        return !dead && aliveFromNanos.get() + grantedTtlNanos - nanos >= 0;
    }

    /** How long from {@code nanos} etcd surely keeps this lease (negative if it may be gone, or is dead). */
    long sureNanosFrom(long nanos) {
        return dead ? Long.MIN_VALUE : aliveFromNanos.get() + grantedTtlNanos - nanos;
    }

    /** A keep-alive sent at {@code sentNanos} succeeded. */
    void keptAlive(long sentNanos) {
        aliveFromNanos.accumulateAndGet(sentNanos, (a, b) -> b - a > 0 ? b : a);
    }

    /** etcd says the lease is gone: no new hold may use it. */
    void markDead() {
        dead = true;
    }

    boolean isDead() {
        return dead;
    }

    /**
     * Counts one more user (an acquire about to send its transaction, which stays a user for as long
     * as the hold it grants): false if the lease is retired or dead, and the caller must take another.
     */
    boolean tryUse() {
        while (true) {
            int current = users.get();
            if (dead || (current & RETIRED) != 0) {
                return false;
            }
            if (users.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /**
     * One user is done (its acquire failed or its hold ended).
     *
     * @return true if that leaves this retired lease without users: the caller revokes it (no key of
     *     a live hold or an acquire in flight can be bound to it, and none can be any more)
     */
    boolean unuse() {
        return users.decrementAndGet() == RETIRED;
    }

    /**
     * Binds no new user to this lease (a key of ours may be stranded on it): it ends with its last
     * user, so that key does not live on for as long as new holds would keep the lease alive.
     *
     * @return true if it had no users: the caller revokes it
     */
    boolean retire() {
        return users.getAndUpdate(current -> current | RETIRED) == 0;
    }

    boolean isRetired() {
        return (users.get() & RETIRED) != 0;
    }

    /** Whether new users may bind keys to this lease. */
    boolean usable() {
        return !dead && !isRetired();
    }

    /** Acquires in flight and holds bound to this lease. */
    int userCount() {
        return users.get() & ~RETIRED;
    }

    @Override
    public String toString() {
        return "lease " + Long.toHexString(id) + " (ttl " + grantedTtlNanos / 1_000_000_000L + " s)";
    }
}
