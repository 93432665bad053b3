package io.robit.faults;

import io.robit.LockLostException;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Wraps a worker's driver to record, around each request the core makes, the monotonic time it was
 * sent and answered: the checkers rebuild the core's local deadline from these (the send time of
 * the last successful acquire or refresh plus the trusted ttl). The times are read just inside the
 * core's own reading, so a deadline computed from them is never earlier than the core's. Thread-safe
 * as the wrapped driver is.
 */
final class RecordingDriver implements Driver<String> {
    private final Driver<String> delegate;
    private final History history;
    private final String worker;

    RecordingDriver(Driver<String> delegate, History history, String worker) {
        this.delegate = delegate;
        this.history = history;
        this.worker = worker;
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        long sent = System.nanoTime();
        Optional<Lease> lease;
        try {
            lease = delegate.acquire(id, ttl, timeout);
        } catch (RuntimeException e) {
            history.record("w", worker, "e", "acqErr", "sent", sent, "t", System.nanoTime(), "err", e.getClass().getSimpleName());
            throw e;
        }
        long answered = System.nanoTime();
        if (lease.isEmpty()) {
            return lease;
        }
        Lease inner = lease.get();
        history.record("w", worker, "e", "acq", "sent", sent, "t", answered, "token", inner.fencingToken(),
                "trustedTtlNs", Math.min(ttl.toNanos(), inner.guaranteedTtl(ttl).toNanos()));
        return Optional.of(new RecordingLease(inner));
    }

    @Override
    public void release(Lease lease) {
        Lease inner = ((RecordingLease) lease).inner;
        long sent = System.nanoTime();
        delegate.release(inner);
        history.record("w", worker, "e", "rel", "sent", sent, "t", System.nanoTime(), "token", inner.fencingToken());
    }

    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        delegate.awaitRelease(id, maxWait);
    }

    @Override
    public void validate(String id) {
        delegate.validate(id);
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** Records each refresh: sent, answered, and whether the backend said ok, lost, or failed. */
    private final class RecordingLease implements Lease {
        private final Lease inner;

        RecordingLease(Lease inner) {
            this.inner = inner;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
            long sent = System.nanoTime();
            String outcome = "err";
            try {
                inner.refresh(ttl, timeout);
                outcome = "ok";
            } catch (LockLostException e) {
                outcome = "lost";
                throw e;
            } catch (InterruptedException e) {
                outcome = "interrupted";
                throw e;
            } finally {
                history.record("w", worker, "e", "ref", "sent", sent, "t", System.nanoTime(), "token", inner.fencingToken(),
                        "outcome", outcome, "trustedTtlNs", Math.min(ttl.toNanos(), inner.guaranteedTtl(ttl).toNanos()));
            }
        }

        @Override
        public CompletableFuture<Void> lost() {
            return inner.lost();
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
