package io.robit.tck;

import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.spi.support.ForwardingDriver;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A driver that watches how the core uses its contentions: it notes overlapping calls and calls
 * after close, counts waits and closes, and completes every asynchronous wait on a thread of its
 * own, so the core's next attempt is always started from a foreign thread. Everything else goes to
 * the driver it wraps. Thread-safe.
 */
final class WatchedDriver<ID> extends ForwardingDriver<ID> {
    final AtomicInteger waits = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final Queue<String> problems = new ConcurrentLinkedQueue<>();

    WatchedDriver(Driver<ID> delegate) {
        super(delegate);
    }

    @Override
    public Contention contend(ID id, Duration ttl, Duration timeout) {
        return new Watched(super.contend(id, ttl, timeout));
    }

    private final class Watched implements Contention {
        private final Contention inner;
        private final AtomicBoolean busy = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();

        Watched(Contention inner) {
            this.inner = inner;
        }

        @Override
        public Optional<Lease> tryAcquire() throws InterruptedException {
            enter("tryAcquire");
            try {
                return inner.tryAcquire();
            } finally {
                busy.set(false);
            }
        }

        @Override
        public void awaitRelease(Duration maxWait) throws InterruptedException {
            enter("awaitRelease");
            waits.incrementAndGet();
            try {
                inner.awaitRelease(maxWait);
            } finally {
                busy.set(false);
            }
        }

        @Override
        public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
            enter("awaitReleaseAsync");
            waits.incrementAndGet();
            try {
                CompletableFuture<Void> inner = this.inner.awaitReleaseAsync(maxWait);
                CompletableFuture<Void> foreign = new CompletableFuture<>();
                inner.whenComplete((ignored, error) -> new Thread(() -> foreign.complete(null), "watched-driver-wake").start());
                foreign.whenComplete((ignored, error) -> inner.cancel(false)); // the core's cancel reaches the driver
                return foreign;
            } finally {
                busy.set(false);
            }
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            if (closed.getAndSet(true)) {
                problems.add("closed twice");
                return;
            }
            if (!busy.compareAndSet(false, true)) {
                problems.add("close overlapped another call");
            }
            inner.close();
        }

        private void enter(String call) {
            if (closed.get()) {
                problems.add(call + " after close");
            }
            if (!busy.compareAndSet(false, true)) {
                problems.add(call + " overlapped another call");
            }
        }
    }
}
