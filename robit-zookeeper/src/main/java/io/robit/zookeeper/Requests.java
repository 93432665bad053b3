package io.robit.zookeeper;

import io.robit.DriverException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;

/**
 * Runs one Curator request in the background and waits for it, at most a given time.
 *
 * <p>Curator's foreground calls retry and wait for a connection on their own schedule, and a
 * thread interrupted inside one cannot tell whether the server applied the request. Running the
 * request in the background lets the caller stop waiting at its timeout or on interrupt; if the
 * answer comes afterwards, {@code onAbandoned} gets it (a create deletes what it made), so a call
 * that gave up leaves nothing behind. Thread-safe; one instance per driver.
 */
final class Requests {
    private final String backend;

    /** Starts the request; Curator calls the callback exactly once with its outcome. */
    @FunctionalInterface
    interface Start {
        void start(BackgroundCallback callback) throws Exception;
    }

    /**
     * @param backend how the backend is named in {@link DriverException} messages
     */
    Requests(String backend) {
        this.backend = backend;
    }

    /** How the backend is named in messages, e.g. {@code "zookeeper 127.0.0.1:2181"}. */
    String backend() {
        return backend;
    }

    /**
     * Starts the request and waits for its outcome.
     *
     * @param lockId the lock concerned, for messages
     * @param operation what is being done, for messages
     * @param timeout the longest to wait
     * @param onAbandoned gets the outcome if it arrives after the caller gave up; runs on a Curator thread
     * @return Curator's event; the caller reads its result code
     * @throws DriverException the request could not be started, or timed out
     * @throws InterruptedException the caller was interrupted; {@code onAbandoned} takes over
     */
    CuratorEvent call(String lockId, String operation, Duration timeout, Start request, Consumer<CuratorEvent> onAbandoned)
            throws InterruptedException {
        return start(lockId, operation, request, onAbandoned).await(lockId, operation, timeout);
    }

    /** {@link #call} for a request whose late outcome needs no cleanup. */
    CuratorEvent call(String lockId, String operation, Duration timeout, Start request) throws InterruptedException {
        return call(lockId, operation, timeout, request, event -> { });
    }

    /**
     * Starts the request without waiting, so that several can be in flight at once (ZooKeeper
     * answers a session's requests in the order they were sent). The caller then {@linkplain
     * Pending#await awaits} or {@linkplain Pending#abandon abandons} it.
     *
     * @throws DriverException the request could not be started
     */
    Pending start(String lockId, String operation, Start request, Consumer<CuratorEvent> onAbandoned) {
        Pending pending = new Pending(onAbandoned);
        try {
            request.start(pending);
        } catch (Exception e) {
            throw new DriverException(backend, lockId, operation, e);
        }
        return pending;
    }

    /** A {@link DriverException} for a request that was answered with an error. */
    DriverException failure(String lockId, String operation, CuratorEvent event) {
        org.apache.zookeeper.KeeperException cause = org.apache.zookeeper.KeeperException.create(
                org.apache.zookeeper.KeeperException.Code.get(event.getResultCode()), event.getPath());
        return new DriverException(backend, lockId, operation, cause);
    }

    /** One request in flight. Hands its outcome to exactly one of: the waiting caller, or {@code onAbandoned}. */
    final class Pending implements BackgroundCallback {
        private static final int WAITING = 0;
        private static final int ANSWERED = 1;
        private static final int ABANDONED = 2;

        private final AtomicInteger state = new AtomicInteger(WAITING);
        private final CountDownLatch answered = new CountDownLatch(1);
        private final Consumer<CuratorEvent> onAbandoned;
        private volatile CuratorEvent event;

        private Pending(Consumer<CuratorEvent> onAbandoned) {
            this.onAbandoned = onAbandoned;
        }

        @Override
        public void processResult(org.apache.curator.framework.CuratorFramework client, CuratorEvent outcome) {
            event = outcome;
            if (state.compareAndSet(WAITING, ANSWERED)) {
                answered.countDown();
            } else {
                onAbandoned.accept(outcome);
            }
        }

        /**
         * Waits for the outcome, at most {@code timeout}; on timeout or interrupt the request is
         * abandoned.
         *
         * @throws DriverException no answer in time
         */
        CuratorEvent await(String lockId, String operation, Duration timeout) throws InterruptedException {
            try {
                if (answered.await(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)) {
                    return event;
                }
            } catch (InterruptedException e) {
                abandon();
                throw e;
            }
            if (state.compareAndSet(WAITING, ABANDONED)) {
                throw new DriverException(backend, lockId, operation, new TimeoutException("no answer within " + timeout));
            }
            return event;
        }

        /** Gives the request up: its outcome, already here or still to come, goes to {@code onAbandoned} (once). */
        void abandon() {
            if (state.getAndSet(ABANDONED) == ANSWERED) {
                onAbandoned.accept(event);
            }
        }
    }
}
