package io.robit;

import io.robit.local.LocalDriver;
import io.robit.spi.AsyncLease;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A LocalDriver with switches for failures the core must survive: acquire errors, refresh errors,
 * refreshes that hang. Counts every call. For core unit tests only.
 */
final class ScriptedDriver implements Driver<String> {
    final LocalDriver<String> backend;
    final AtomicInteger acquires = new AtomicInteger();
    final AtomicInteger refreshes = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    volatile RuntimeException acquireError;
    volatile RuntimeException refreshError;
    /** Thrown once by the next refresh (then cleared), like a client's NoClassDefFoundError. */
    volatile Error refreshErrorOnce;
    volatile CountDownLatch refreshGate;
    /** Makes a refresh waiting at refreshGate deaf to interrupts, like a socket read without a timeout. */
    volatile boolean refreshIgnoresInterrupts;
    volatile Duration guaranteedTtl;
    /** Thrown by the lease's guaranteedTtl, which the core reads while starting a hold. */
    volatile RuntimeException guaranteedTtlError;
    /** Like a network client: a release on an interrupted thread fails and releases nothing. */
    volatile boolean releaseFailsWhenInterrupted;
    /** When set, release blocks (uninterruptibly, like a socket read) until it opens. */
    volatile CountDownLatch releaseGate;
    /** Runs inside acquire, after the request is "sent": e.g. moves a fake ticker to model a slow reply. */
    volatile Runnable duringAcquire;
    /** When set, leases are AsyncLeases and a refresh never completes while this is true. */
    volatile boolean asyncLeases;
    volatile boolean hangAsync;

    ScriptedDriver(Ticker ticker) {
        this.backend = LocalDriver.create(ticker);
    }

    ScriptedDriver() {
        this(Ticker.system());
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        acquires.incrementAndGet();
        RuntimeException error = acquireError;
        if (error != null) {
            throw error;
        }
        Runnable during = duringAcquire;
        if (during != null) {
            during.run();
        }
        return backend.acquire(id, ttl, timeout).map(lease -> asyncLeases ? new AsyncCounted(lease) : new Counted(lease));
    }

    @Override
    public void release(Lease lease) {
        releases.incrementAndGet();
        if (releaseFailsWhenInterrupted && Thread.currentThread().isInterrupted()) {
            throw new DriverException("scripted", "?", "release", new InterruptedException("release interrupted"));
        }
        CountDownLatch gate = releaseGate;
        if (gate != null) {
            awaitUninterruptibly(gate);
        }
        backend.release(((Counted) lease).inner);
    }

    private static void awaitUninterruptibly(CountDownLatch gate) {
        boolean interrupted = false;
        while (true) {
            try {
                gate.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        backend.awaitRelease(id, maxWait);
    }

    @Override
    public void validate(String id) {
        backend.validate(id);
    }

    private class Counted implements Lease {
        final Lease inner;

        Counted(Lease inner) {
            this.inner = inner;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
            refreshes.incrementAndGet();
            CountDownLatch gate = refreshGate;
            if (gate != null && refreshIgnoresInterrupts) {
                awaitUninterruptibly(gate);
            } else if (gate != null) {
                gate.await();
            }
            Error once = refreshErrorOnce;
            if (once != null) {
                refreshErrorOnce = null;
                throw once;
            }
            RuntimeException error = refreshError;
            if (error != null) {
                throw error;
            }
            inner.refresh(ttl, timeout);
        }

        @Override
        public Duration guaranteedTtl(Duration requested) {
            RuntimeException error = guaranteedTtlError;
            if (error != null) {
                throw error;
            }
            Duration guaranteed = guaranteedTtl;
            return guaranteed == null ? requested : guaranteed;
        }

        @Override
        public CompletableFuture<Void> lost() {
            return inner.lost();
        }

        @Override
        public long fencingToken() {
            return inner.fencingToken();
        }
    }

    private final class AsyncCounted extends Counted implements AsyncLease {
        AsyncCounted(Lease inner) {
            super(inner);
        }

        @Override
        public CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout) {
            if (hangAsync) {
                refreshes.incrementAndGet();
                return new CompletableFuture<>();
            }
            try {
                refresh(ttl, timeout);
                return CompletableFuture.completedFuture(null);
            } catch (RuntimeException | InterruptedException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }
}
