package io.robit.spi;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One caller's contention for one lock: the state of a single {@code lock()}, {@code tryLock(Duration)},
 * {@code lockAsync()} or {@code tryLockAsync(Duration)} call, from its first attempt to its end.
 * {@link Driver#contend} opens it; the core alternates {@link #tryAcquire} with
 * {@link #awaitRelease} (or {@link #awaitReleaseAsync}) until it gets a lease or stops waiting,
 * then {@linkplain #close() closes} it.
 *
 * <p>This is where a driver keeps what one attempt learns for the wait that follows it (the
 * holder's expiry, a queued node, a subscription): never in a per-thread variable or a map keyed
 * by thread. <b>Threads.</b> Calls on one contention never overlap, but successive calls may come
 * from different threads (an asynchronous wait completes on one thread and the next attempt runs
 * on another; virtual threads come and go); the core orders them, each call happening-before the
 * next, so an implementation needs no locking of its own for its per-call fields. Different
 * contentions, on the same lock or not, are used concurrently.
 *
 * <p>A lease returned by {@link #tryAcquire} belongs to the caller from then on, exactly as one
 * returned by {@link Driver#acquire}: {@link #close()} never releases it, and the core calls
 * {@link Driver#release} for it exactly once.
 */
public interface Contention extends AutoCloseable {

    /**
     * Makes one attempt to acquire the lock, with the semantics of {@link Driver#acquire} for this
     * contention's lock, ttl and timeout.
     *
     * @return the lease, or empty when another party holds the lock
     * @throws io.robit.DriverException the backend failed; no lease was taken (or it was given back)
     * @throws InterruptedException the calling thread was interrupted; no lease was taken
     */
    Optional<Lease> tryAcquire() throws InterruptedException;

    /**
     * Blocks until the lock may have become free, or {@code maxWait} passes, whichever is first:
     * {@link Driver#awaitRelease} for this caller, using what the last {@link #tryAcquire} learned.
     * A spurious early return is allowed; sleeping past {@code maxWait} is not.
     *
     * @param maxWait the longest to block; zero or negative returns at once
     * @throws InterruptedException the waiting thread was interrupted
     */
    void awaitRelease(Duration maxWait) throws InterruptedException;

    /**
     * The non-blocking form of {@link #awaitRelease}, with the contract of
     * {@link Driver#awaitReleaseAsync}: the future completes normally when the caller should try
     * again (early is allowed, later than {@code maxWait} is not); the core may cancel it when its
     * caller stops waiting.
     *
     * @param maxWait the longest to wait; zero or negative completes at once
     * @return a future completed when the caller should try again
     */
    CompletableFuture<Void> awaitReleaseAsync(Duration maxWait);

    /**
     * Ends this contention: forgets its waiter, deletes a queued node, drops a subscription. Never
     * releases a lease that {@link #tryAcquire} returned. Called exactly once by the core, from
     * whichever thread ends the call (after a grant, a timeout, an interrupt, a failure, or the
     * caller cancelling an asynchronous call: then possibly while a future from
     * {@link #awaitReleaseAsync} is still pending, which the core has just cancelled); must not
     * throw (log instead), must not block without bound, and must do its work even on an
     * interrupted thread. Nothing is called on the contention after it.
     */
    @Override
    void close();
}
