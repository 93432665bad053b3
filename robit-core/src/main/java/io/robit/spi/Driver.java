package io.robit.spi;

import io.robit.internal.Jitter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A coordination backend that can hand out leases on named locks: one implementation per backend
 * (Redis, JDBC, etcd, ZooKeeper, in-memory).
 *
 * <p><b>Who calls what.</b> {@link io.robit.Mutex} calls {@link #acquire} for a single attempt
 * ({@code tryLock()}), and {@link #contend} for a call that may wait ({@code lock()},
 * {@code tryLock(Duration)}, {@code lockAsync()}, {@code tryLockAsync(Duration)}): the returned
 * {@link Contention} carries that one call's attempts and waits, possibly across threads, so a
 * driver never keeps per-call state by thread identity. {@link #release} is called once per lease
 * obtained either way (from the unlocking thread, or from a Robit worker thread when the hold was
 * lost). Renewal is the core's job: a driver never schedules renewals of its own; it
 * only answers {@link Lease#refresh}, or {@link LeaseSession#keepAlive} for leases that live on a
 * backend session ({@link SessionLease}: one keep-alive renews every hold on the session). A driver may be used by many mutexes and threads at once and
 * must be thread-safe.
 *
 * <p><b>What is not loss.</b> A failed or timed-out request is a {@link io.robit.DriverException};
 * only the backend saying the lease is no longer ours (expired, deleted, taken over, session lost)
 * is a loss.
 *
 * <p>A driver built from a URI ({@link io.robit.Drivers#open}) owns its connections and closes
 * them in {@link #close()}; a driver built over a client the user passed in never closes it.
 *
 * @param <ID> the type of lock names
 */
public interface Driver<ID> extends AutoCloseable {

    /**
     * Makes one attempt to acquire the lock.
     *
     * <p>Atomic on the backend: of many concurrent attempts on a free lock, exactly one gets a
     * lease. The lease is valid for {@code ttl} from the moment the backend takes it.
     *
     * @param id the lock name; already {@linkplain #validate validated}
     * @param ttl how long the lease lasts unless refreshed; positive
     * @param timeout the most this request may take
     * @return the lease, or empty when another party holds the lock
     * @throws io.robit.DriverException the backend failed; no lease was taken (or it was given back)
     * @throws InterruptedException the calling thread was interrupted; no lease was taken
     */
    Optional<Lease> acquire(ID id, Duration ttl, Duration timeout) throws InterruptedException;

    /**
     * Opens one caller's contention for lock {@code id}: the object through which one waiting
     * {@code lock}/{@code tryLock(Duration)} call (blocking or asynchronous) makes its attempts and
     * waits. See {@link Contention} for the threading contract.
     *
     * <p>The default returns a contention that calls {@link #acquire}, {@link #awaitRelease} and
     * {@link #awaitReleaseAsync} of this driver, which suits a driver that keeps nothing between an
     * attempt and the wait after it. A driver that does (the holder's expiry read by a failed
     * attempt, a queued node, a subscription) overrides this and keeps that state in the
     * contention it returns. Must not do I/O that can fail: the first attempt is
     * {@link Contention#tryAcquire}.
     *
     * @param id the lock name; already {@linkplain #validate validated}
     * @param ttl the lease length each attempt asks for; positive
     * @param timeout the most each request may take
     * @return a new contention, used by one call and then closed
     */
    default Contention contend(ID id, Duration ttl, Duration timeout) {
        return new DriverContention<>(this, id, ttl, timeout);
    }

    /**
     * Gives the lease back. Called exactly once per successful {@link #acquire}, whether the hold
     * ended by unlock or by loss. Must not throw (log instead) and must never free a lock that
     * someone else holds now: release only what is still this lease's.
     *
     * <p>Must not block without bound: each request is bounded by the driver's own timeout (the
     * core releases lost leases on a small fixed pool of threads). An interrupt must not make it
     * give up: {@link io.robit.Mutex} calls it with the thread's interrupt flag cleared and sets
     * it again after, and a driver called directly on an interrupted thread must still release,
     * and leave the flag set.
     *
     * @param lease a lease this driver returned
     */
    void release(Lease lease);

    /**
     * Blocks until the lock may have become free, or {@code maxWait} passes, whichever is first.
     * A spurious early return is allowed (the caller simply tries again); sleeping past
     * {@code maxWait} is not.
     *
     * <p>The default sleeps a short jittered interval (25 to 75 ms, capped at {@code maxWait}).
     * Drivers override it with the backend's notification (pub/sub, LISTEN/NOTIFY, watch) and with
     * a timed wake at the holder's expiry.
     *
     * @param id the lock being waited for
     * @param maxWait the longest to block; zero or negative returns at once
     * @throws InterruptedException the waiting thread was interrupted
     */
    default void awaitRelease(ID id, Duration maxWait) throws InterruptedException {
        long max = maxWait.toNanos();
        if (max <= 0) {
            return;
        }
        long jittered = Jitter.nanosBetween(25, 75);
        TimeUnit.NANOSECONDS.sleep(Math.min(max, jittered));
    }

    /**
     * Starts waiting until the lock may have become free, or {@code maxWait} passes: the
     * non-blocking form of {@link #awaitRelease}, used by {@link io.robit.Mutex#lockAsync()} and
     * {@link io.robit.Mutex#tryLockAsync(Duration)} between acquire attempts. The future completes
     * normally when the caller should try again (a spurious early completion is allowed; completing
     * later than {@code maxWait} is not). The core may cancel it when its caller stops waiting; the
     * driver should then forget the waiter. The core calls it on a thread of its bounded pool right
     * after a failed {@link #acquire} of {@code id} on that same thread.
     *
     * <p>Drivers whose client is asynchronous override it so that a waiting caller parks no thread
     * (pub/sub, watches, notifications completing a future). The default stays correct for every
     * driver: when this driver does not override {@link #awaitRelease}, it completes after the same
     * short jittered backoff on a timer, parking no thread; when it does, it calls that blocking
     * {@code awaitRelease} on the calling (pool) thread for at most {@value
     * io.robit.internal.AsyncWaits#BLOCKING_SLICE_MILLIS} ms and returns a completed future, so a
     * blocking driver ties up at most the core's bounded pool, never one thread per waiter.
     *
     * @param id the lock being waited for
     * @param maxWait the longest to wait; zero or negative completes at once
     * @return a future completed when the caller should try again; the core treats an exceptional
     *     completion like a normal one (its next attempt reports a real failure)
     */
    default java.util.concurrent.CompletableFuture<Void> awaitReleaseAsync(ID id, Duration maxWait) {
        return io.robit.internal.AsyncWaits.byDefault(this, id, maxWait);
    }

    /**
     * Rejects a lock name this backend cannot store (too long, empty, not representable), before
     * any I/O. {@link io.robit.Mutex.Builder#build()} calls it, and so should {@link #acquire}.
     *
     * @param id the proposed lock name
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException saying what is wrong with it
     */
    default void validate(ID id) {
        if (id == null) {
            throw new NullPointerException("lock id must not be null");
        }
    }

    /**
     * Closes the connections this driver owns. Leases still held are not released by this call.
     * Idempotent. The default does nothing.
     */
    @Override
    default void close() {
    }
}
