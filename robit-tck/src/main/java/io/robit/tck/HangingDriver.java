package io.robit.tck;

import io.robit.DriverException;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A driver decorator that can be cut off from its backend, for backends with no server to put a
 * {@link CuttableProxy} in front of (in-memory, an SQLite file). Once {@link #cut()}, every call
 * hangs for its timeout and then fails, as a client cut off by a partition does; the backend
 * itself carries on and expires the lease by its ttl. Thread-safe.
 *
 * @param <ID> the driver's lock-name type
 */
final class HangingDriver<ID> implements Driver<ID> {
    private final Driver<ID> delegate;
    private volatile boolean cut;

    HangingDriver(Driver<ID> delegate) {
        this.delegate = delegate;
    }

    void cut() {
        cut = true;
    }

    @Override
    public Optional<Lease> acquire(ID id, Duration ttl, Duration timeout) throws InterruptedException {
        hangIfCut(id, "acquire", timeout);
        return delegate.acquire(id, ttl, timeout).map(CutLease::new);
    }

    @Override
    public void release(Lease lease) {
        if (cut) {
            return; // lost on the way: the backend expires it
        }
        delegate.release(((CutLease) lease).inner);
    }

    @Override
    public void awaitRelease(ID id, Duration maxWait) throws InterruptedException {
        if (cut) {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, maxWait.toNanos()));
            return;
        }
        delegate.awaitRelease(id, maxWait);
    }

    @Override
    public void validate(ID id) {
        delegate.validate(id);
    }

    @Override
    public void close() {
        delegate.close();
    }

    private void hangIfCut(Object id, String operation, Duration timeout) throws InterruptedException {
        if (cut) {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, timeout.toNanos()));
            throw new DriverException("cut-off test backend: " + operation + " of lock '" + id + "' timed out after " + timeout, null);
        }
    }

    private final class CutLease implements Lease {
        private final Lease inner;

        CutLease(Lease inner) {
            this.inner = inner;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
            hangIfCut("lease " + inner.fencingToken(), "refresh", timeout);
            inner.refresh(ttl, timeout);
        }

        @Override
        public CompletableFuture<Void> lost() {
            // Once cut, no news reaches the client: the loss must be found by the local deadline.
            CompletableFuture<Void> seen = new CompletableFuture<>();
            inner.lost().whenComplete((ignored, error) -> {
                if (!cut) {
                    if (error == null) {
                        seen.complete(null);
                    } else {
                        seen.completeExceptionally(error);
                    }
                }
            });
            return seen;
        }

        @Override
        public Duration guaranteedTtl(Duration requested) {
            return inner.guaranteedTtl(requested);
        }

        @Override
        public long fencingToken() {
            return inner.fencingToken();
        }
    }
}
