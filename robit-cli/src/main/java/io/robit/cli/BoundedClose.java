package io.robit.cli;

import io.robit.spi.Driver;
import java.time.Duration;

/**
 * Closes a driver without letting an unreachable backend hold up robit's exit: a client that says
 * goodbye to its server (ZooKeeper ends its session) can wait for an answer that never comes. The
 * close runs on a daemon thread; past the bound robit goes on (and exits), leaving the backend to
 * expire what the close could not end. Stateless.
 */
final class BoundedClose {
    /** After a loss the lease is gone: closing can free nothing, so robit waits for it only briefly. */
    static final Duration AFTER_LOSS = Duration.ofSeconds(1);

    private BoundedClose() {
    }

    /**
     * Closes {@code driver}, waiting at most {@code bound} for it.
     *
     * @return true if the close finished within the bound
     */
    static boolean close(Driver<?> driver, Duration bound) {
        Thread closer = new Thread(driver::close, "robit-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(Math.max(1, bound.toMillis()));
            return !closer.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !closer.isAlive();
        }
    }
}
