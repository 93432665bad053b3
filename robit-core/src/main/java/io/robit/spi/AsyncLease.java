package io.robit.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * An optional {@link Lease} capability for drivers whose client is asynchronous (or whose refresh
 * never blocks): the core then renews without handing each refresh to a worker thread, which is
 * what keeps thousands of held locks cheap.
 *
 * <p>The returned future completes normally when the lease was extended, exceptionally with a
 * {@link io.robit.LockLostException} when the backend says it is no longer ours, and exceptionally
 * with anything else when the request failed. Completion may happen on any thread (e.g. the
 * client's I/O thread). {@code refreshAsync} itself must not block.
 */
public interface AsyncLease extends Lease {
    /**
     * Starts extending the lease to {@code ttl}; see {@link Lease#refresh}.
     *
     * @param ttl the new lease length
     * @param timeout the most the request may take; the core also stops waiting after it
     * @return a future that completes when the lease is extended, or fails (with {@link io.robit.LockLostException} when the backend says it is no longer ours)
     */
    CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout);
}
