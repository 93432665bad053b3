package io.robit.tck;

import io.robit.local.LocalDriver;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fair in-memory backend for testing the waiting contract itself: a waiter takes a ticket at its
 * first failed attempt, and only the ticket at the head of the lock's queue (or an attempt when no
 * one is queued) may take the lock, as a ZooKeeper queue node does. {@link Mode} says where a
 * contention keeps its ticket: in itself (correct), by thread (the bug the contract must catch), or
 * nowhere on close (a leak the contract must catch).
 */
final class QueueFixture implements DriverFixture<String> {
    enum Mode { CORRECT, BY_THREAD, LEAKS_ON_CLOSE }

    private final Mode mode;
    private final LocalDriver<String> backend = LocalDriver.create();
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Deque<Object>> queues = new HashMap<>();
    private final Map<Thread, Object> ticketsByThread = new HashMap<>();

    QueueFixture(Mode mode) {
        this.mode = mode;
    }

    @Override
    public Driver<String> newDriver() {
        return new QueueDriver();
    }

    @Override
    public String newLockId() {
        return "lock-" + UUID.randomUUID();
    }

    @Override
    public void breakLease(String id) {
        backend.revoke(id);
    }

    private Optional<Lease> take(String id, Object ticket, Duration ttl, Duration timeout) {
        lock.lock();
        try {
            Deque<Object> queue = queues.computeIfAbsent(id, k -> new ArrayDeque<>());
            if (ticket != null && !queue.contains(ticket)) {
                queue.addLast(ticket);
            }
            if (!queue.isEmpty() && queue.peekFirst() != ticket) {
                return Optional.empty();
            }
            Optional<Lease> lease = backend.acquire(id, ttl, timeout);
            if (lease.isPresent() && ticket != null) {
                queue.remove(ticket);
            }
            return lease;
        } finally {
            lock.unlock();
        }
    }

    private void dequeue(String id, Object ticket) {
        lock.lock();
        try {
            Deque<Object> queue = queues.get(id);
            if (queue != null && ticket != null) {
                queue.remove(ticket);
            }
        } finally {
            lock.unlock();
        }
    }

    private Object threadTicket(boolean create) {
        lock.lock();
        try {
            return create ? ticketsByThread.computeIfAbsent(Thread.currentThread(), t -> new Object())
                    : ticketsByThread.remove(Thread.currentThread());
        } finally {
            lock.unlock();
        }
    }

    private final class QueueDriver implements Driver<String> {
        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) {
            return take(id, null, ttl, timeout);
        }

        @Override
        public Contention contend(String id, Duration ttl, Duration timeout) {
            return new QueueContention(id, ttl, timeout);
        }

        @Override
        public void release(Lease lease) {
            backend.release(lease);
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            backend.awaitRelease(id, maxWait);
        }

        @Override
        public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
            return backend.awaitReleaseAsync(id, maxWait);
        }
    }

    private final class QueueContention implements Contention {
        private final String id;
        private final Duration ttl;
        private final Duration timeout;
        private final Object ticket = new Object();

        QueueContention(String id, Duration ttl, Duration timeout) {
            this.id = id;
            this.ttl = ttl;
            this.timeout = timeout;
        }

        @Override
        public Optional<Lease> tryAcquire() {
            Object mine = mode == Mode.BY_THREAD ? threadTicket(true) : ticket;
            Optional<Lease> lease = take(id, mine, ttl, timeout);
            if (lease.isPresent() && mode == Mode.BY_THREAD) {
                threadTicket(false);
            }
            return lease;
        }

        @Override
        public void awaitRelease(Duration maxWait) throws InterruptedException {
            // Short naps: a queued waiter is not woken when it reaches the head, and a free lock that
            // the head has not taken yet must not make the others spin.
            Duration nap = maxWait.compareTo(Duration.ofMillis(20)) < 0 ? maxWait : Duration.ofMillis(20);
            if (backend.isLocked(id)) {
                backend.awaitRelease(id, nap);
            } else if (!nap.isNegative()) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(nap.toNanos(), 5_000_000));
            }
        }

        @Override
        public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
            Duration nap = maxWait.compareTo(Duration.ofMillis(20)) < 0 ? maxWait : Duration.ofMillis(20);
            return backend.isLocked(id) ? backend.awaitReleaseAsync(id, nap)
                    : CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(5, java.util.concurrent.TimeUnit.MILLISECONDS));
        }

        @Override
        public void close() {
            switch (mode) {
                case CORRECT -> dequeue(id, ticket);
                case BY_THREAD -> dequeue(id, threadTicket(false));
                case LEAKS_ON_CLOSE -> { }
            }
        }
    }
}
