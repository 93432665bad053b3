package io.robit.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A backend session that keeps many leases alive at once: an etcd lease shared by lock keys, a
 * ZooKeeper session owning ephemeral nodes. Every {@link SessionLease} on it lives exactly as long
 * as the session does (unless its own key or node is deleted), so the core renews the session
 * once, not each lease: one {@link #keepAlive} per renewal period for all the holds on it, whatever
 * their number. Thread-safe.
 *
 * <p><b>Who calls what.</b> The core runs one renewal per session (per scheduler, refresh executor
 * and ticker of the mutexes using it), shared by every hold on the session. It calls
 * {@link #keepAlive} from a Robit worker thread (or the mutexes' refresh executor), never two at a
 * time for one session (or {@link AsyncLeaseSession#keepAliveAsync}
 * when the session implements it), while at least one hold is on the session, and never
 * {@link Lease#refresh} of its leases. It reads {@code System.nanoTime()} (its ticker) just before
 * the call: a successful keep-alive extends every hold's local deadline to that send time plus the
 * smaller of the hold's ttl and the returned guarantee, minus the drift margin.
 *
 * <p><b>How loss is reported.</b> When the backend says the session is gone, {@link #keepAlive}
 * throws a {@link io.robit.LockLostException} and {@link #lost()} completes exceptionally with it,
 * once (the same rule as {@link Lease}); the core then tells every hold on the session, each once,
 * and none that was unlocked first. A lease's own loss (its key deleted or taken over while the
 * session lives) is still the lease's {@link Lease#lost()}, for that hold alone. A lease whose
 * {@code lost()} has completed when a keep-alive returns is not extended by it.
 */
public interface LeaseSession {

    /**
     * Proves the session alive at the backend with one request for the whole session.
     *
     * @param timeout the most this request may take
     * @return how long, counted from when this request was sent, the backend surely keeps the
     *     session (and so every lease on it); the core trusts each lease for the smaller of this and
     *     its ttl. Positive.
     * @throws io.robit.LockLostException the backend says the session is gone (expired, revoked,
     *     closed); {@link #lost()} has completed with the same exception. The lock id of the
     *     exception may name the session; the core tells each hold with its own lock's id.
     * @throws io.robit.DriverException the request failed; that alone is not a loss (the core retries)
     * @throws InterruptedException the calling thread was interrupted
     */
    Duration keepAlive(Duration timeout) throws InterruptedException;

    /**
     * Completes, exceptionally with a {@link io.robit.LockLostException} where the reason is known,
     * when the driver learns the session is gone: from a keep-alive, or the backend's own
     * notification. At most once; never because a lease on it was released.
     *
     * @return a future completed when the session is gone
     */
    CompletableFuture<Void> lost();
}
