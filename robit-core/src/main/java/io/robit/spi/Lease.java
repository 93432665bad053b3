package io.robit.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One lease on a lock, as granted by {@link Driver#acquire}. Thread-safe.
 *
 * <p>{@link io.robit.Mutex} calls {@link #refresh} from a Robit worker thread (or the executor given
 * to {@link io.robit.Mutex.Builder#refreshExecutor}), never two at a time for one lease, until the
 * hold ends; it then calls {@link Driver#release} exactly once. A lease that lives on a backend
 * session ({@link SessionLease}) is not refreshed: the core keeps its {@link LeaseSession} alive
 * instead, once for every lease on it.
 *
 * <p><b>How loss is reported (one rule for every driver).</b> When a refresh is answered "no
 * longer yours", the driver does both, through one transition: {@link #refresh} throws a
 * {@link io.robit.LockLostException} <em>and</em> {@link #lost()} completes exceptionally with that
 * same exception. When the driver learns of the loss otherwise (a watch, a session event, an expiry
 * timer), it completes {@link #lost()} alone. {@link #lost()} completes at most once and never once
 * the lease's release began, so a voluntary release is never reported as a loss. The core takes the
 * first signal as the loss and ignores the other. {@link io.robit.spi.support.BaseLease} implements
 * the rule: {@code throw lose(reason, detail)} in a refresh, {@code lose(...)} elsewhere, and
 * {@code beginRelease()} first in {@link Driver#release}.
 */
public interface Lease {

    /**
     * Extends the lease so it lasts {@code ttl} from the moment the backend handles this request.
     *
     * @param ttl the new lease length
     * @param timeout the most this request may take
     * @throws io.robit.LockLostException the backend says the lease is no longer ours (expired,
     *     deleted, taken over, session ended); {@link #lost()} has completed with the same exception
     * @throws io.robit.DriverException the request failed; that alone is not a loss
     * @throws InterruptedException the calling thread was interrupted
     */
    void refresh(Duration ttl, Duration timeout) throws InterruptedException;

    /**
     * Completes when the driver learns that the backend no longer has this lease as ours: from a
     * refresh answered "not yours", or from the backend's own notification (watch, session event)
     * where it has one. It may complete exceptionally with a {@link io.robit.LockLostException}
     * that gives the reason. It never completes because of {@link Driver#release}.
     *
     * @return a future completed when the backend reports the lease gone
     */
    CompletableFuture<Void> lost();

    /**
     * How long the backend actually guarantees this lease after it handles a request that asked for
     * {@code requested}, when the backend decides that itself (a ZooKeeper session timeout the
     * server negotiated down, say). The core trusts the lease for the smaller of the two, so a
     * driver must return a shorter value when the backend may free the lock sooner than asked.
     * Returning a longer value changes nothing. The default is {@code requested}.
     *
     * @param requested the ttl the core asked for
     * @return the lease length the backend guarantees, at most {@code requested}
     */
    default Duration guaranteedTtl(Duration requested) {
        return requested;
    }

    /**
     * The fencing token: strictly greater than the token of every earlier lease on the same lock
     * name on this backend.
     *
     * @return the fencing token of this lease
     */
    long fencingToken();
}
