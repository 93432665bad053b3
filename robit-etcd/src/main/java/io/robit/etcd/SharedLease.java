package io.robit.etcd;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.AsyncLeaseSession;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One etcd lease that a driver shares among all its holds of one ttl: their session (etcd's
 * {@code concurrency.Session}). Every hold's key is bound to it, so one keep-alive
 * ({@link #keepAliveAsync}, sent by the core's session renewal) renews them all; if etcd drops it,
 * every key on it goes with it and {@link #lost()} tells every hold. Thread-safe.
 *
 * <p>It counts its <em>users</em>: every acquire from just before its transaction is sent (its key
 * may be bound to this lease from then on) until it fails or its hold is released. A lease is
 * revoked only once it is retired and has no users, atomically, so a revoke never deletes the key
 * of a live hold or of an acquire in flight.
 *
 * <p>It tracks a lower bound of when etcd will expire it: the send time of the last successful
 * grant or keep-alive plus the TTL etcd granted (not the one asked for; etcd raises small TTLs to
 * its minimum and counts from when it handles the request, after we sent it).
 */
final class SharedLease implements AsyncLeaseSession {
    private static final int RETIRED = 1 << 30;
    private final long id;
    private final long grantedTtlNanos;
    private final AtomicLong aliveFromNanos;
    // Acquires in flight and live holds (keys a revoke would wrongly delete), plus the RETIRED bit.
    private final AtomicInteger users = new AtomicInteger();
    private volatile boolean dead;
    private final SharedLeases owner;
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    private final AtomicReference<LockLostException> gone = new AtomicReference<>();
    // The latest keep-alive failed (no answer, or an error): etcd may be unreachable.
    private volatile boolean keepAliveFailing;

    /** @param owner sends its keep-alives; null in tests that only count users */
    SharedLease(SharedLeases owner, long id, long grantedTtlSeconds, long sentNanos) {
        this.owner = owner;
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
        keepAliveFailing = false;
        aliveFromNanos.accumulateAndGet(sentNanos, (a, b) -> b - a > 0 ? b : a);
    }

    /** No new hold may use it (it is being revoked, or gone). */
    void markDead() {
        dead = true;
    }

    /**
     * etcd says the lease is gone (expired or revoked), and every key on it with it: no new hold may
     * use it, and {@link #lost()} completes, once.
     *
     * @return the exception that tells the loss (the first one, if it was already gone)
     */
    LockLostException markGone(String detail) {
        dead = true;
        LockLostException loss = new LockLostException(this, LossReason.EXPIRED, detail);
        if (!gone.compareAndSet(null, loss)) {
            return gone.get();
        }
        lost.completeExceptionally(loss);
        return loss;
    }

    /**
     * One keep-alive of this lease for every hold on it: completes with the TTL etcd granted, counted
     * from when this call sent the request (etcd counts from when it handles it, later); exceptionally
     * with a {@link LockLostException} when etcd no longer has the lease, else with a
     * {@link io.robit.DriverException} (not a loss).
     */
    @Override
    public CompletableFuture<Duration> keepAliveAsync(Duration timeout) {
        return owner.keepAlive(this, timeout).handle((ttlSeconds, error) -> {
            keepAliveFailing = error != null;
            if (error == null) {
                return Duration.ofSeconds(ttlSeconds);
            }
            Throwable cause = EtcdStore.unwrap(error);
            if (cause instanceof SharedLeases.GoneException) {
                throw new CompletionException(markGone(cause.getMessage()));
            }
            if (cause instanceof TimeoutException) {
                cause = owner.store().noAnswer();
            }
            throw new CompletionException(owner.store().failure(toString(), "keep-alive", cause));
        });
    }

    @Override
    public Duration keepAlive(Duration timeout) throws InterruptedException {
        try {
            return keepAliveAsync(timeout).get();
        } catch (ExecutionException e) {
            Throwable cause = EtcdStore.unwrap(e);
            throw cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
        }
    }

    /** Completes exceptionally with a {@link LockLostException} when etcd says the lease is gone; never on a revoke of ours. */
    @Override
    public CompletableFuture<Void> lost() {
        return lost;
    }

    /** Whether the latest keep-alive failed: etcd may be unreachable. */
    boolean keepAliveFailing() {
        return keepAliveFailing;
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
