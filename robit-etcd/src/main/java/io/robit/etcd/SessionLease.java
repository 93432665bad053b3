package io.robit.etcd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One etcd lease that a driver shares among all its holds of one ttl (etcd's
 * {@code concurrency.Session}, minus the background keep-alive: holds keep it alive through their
 * refreshes). Thread-safe.
 *
 * <p>It tracks a lower bound of when etcd will expire it: the send time of the last successful
 * grant or keep-alive plus the TTL etcd granted (not the one asked for; etcd raises small TTLs to
 * its minimum and counts from when it handles the request, after we sent it).
 */
final class SessionLease {
    private final long id;
    private final long grantedTtlNanos;
    private final AtomicLong aliveFromNanos;
    private final AtomicInteger holds = new AtomicInteger();
    private volatile boolean dead;
    private volatile boolean retired;

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

    /** New holds take a fresh lease; the holds on this one keep it alive until they end. */
    void retire() {
        retired = true;
    }

    boolean isRetired() {
        return retired;
    }

    /** Whether new holds may be bound to this lease. */
    boolean usable() {
        return !dead && !retired;
    }

    void holdStarted() {
        holds.incrementAndGet();
    }

    int holdCount() {
        return holds.get();
    }

    /** @return the number of holds left on this lease */
    int holdEnded() {
        return holds.decrementAndGet();
    }

    @Override
    public String toString() {
        return "lease " + Long.toHexString(id) + " (ttl " + grantedTtlNanos / 1_000_000_000L + " s)";
    }
}
