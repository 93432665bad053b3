package io.robit.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * An optional {@link LeaseSession} capability for drivers whose client is asynchronous: the core
 * then keeps the session alive without handing the keep-alive to a worker thread.
 *
 * <p>The returned future completes with the guarantee of {@link LeaseSession#keepAlive} when the
 * session was kept alive, exceptionally with a {@link io.robit.LockLostException} when the backend
 * says it is gone, and exceptionally with anything else when the request failed. Completion may
 * happen on any thread. {@code keepAliveAsync} itself must not block.
 */
public interface AsyncLeaseSession extends LeaseSession {
    /**
     * Starts one keep-alive; see {@link LeaseSession#keepAlive}.
     *
     * @param timeout the most the request may take; the core also stops waiting after it
     * @return a future of how long from the send the session is guaranteed
     */
    CompletableFuture<Duration> keepAliveAsync(Duration timeout);
}
