package io.robit.faults;

import io.robit.LockLostException;
import io.robit.spi.AsyncLease;
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
    private final boolean halveTtl;

    /**
     * @param halveTtl the negative control: ask the backend for half the ttl the core asked for and
     *     hide it (a broken driver); the checkers must then find deadline overruns
     */
    RecordingDriver(Driver<String> delegate, History history, String worker, boolean halveTtl) {
        this.delegate = delegate;
        this.history = history;
        this.worker = worker;
        this.halveTtl = halveTtl;
    }

    private Duration backendTtl(Duration ttl) {
        return halveTtl ? ttl.dividedBy(2) : ttl;
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        long sent = System.nanoTime();
        Optional<Lease> lease;
        try {
            lease = delegate.acquire(id, backendTtl(ttl), timeout);
        } catch (RuntimeException e) {
            history.record("w", worker, "e", "acqErr", "sent", sent, "t", System.nanoTime(), "err", e.getClass().getSimpleName());
            throw e;
        }
        long answered = System.nanoTime();
        if (lease.isEmpty()) {
            return lease;
        }
        RecordingLease recorded = lease.get() instanceof AsyncLease async ? new RecordingAsyncLease(async) : new RecordingLease(lease.get());
        history.record("w", worker, "e", "acq", "sent", sent, "t", answered, "token", recorded.fencingToken(),
                "trustedTtlNs", Math.min(ttl.toNanos(), recorded.guaranteedTtl(ttl).toNanos()));
        return Optional.of(recorded);
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
    private class RecordingLease implements Lease {
        final Lease inner;

        RecordingLease(Lease inner) {
            this.inner = inner;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
            long sent = System.nanoTime();
            String outcome = "err";
            try {
                inner.refresh(backendTtl(ttl), timeout);
                outcome = "ok";
            } catch (LockLostException e) {
                outcome = "lost";
                throw e;
            } catch (InterruptedException e) {
                outcome = "interrupted";
                throw e;
            } finally {
                history.record("w", worker, "e", "ref", "sent", sent, "t", System.nanoTime(), "token", inner.fencingToken(),
                        "outcome", outcome, "trustedTtlNs", Math.min(ttl.toNanos(), guaranteedTtl(ttl).toNanos()));
            }
        }

        @Override
        public CompletableFuture<Void> lost() {
            return inner.lost();
        }

        @Override
        public Duration guaranteedTtl(Duration requested) {
            return halveTtl ? requested : inner.guaranteedTtl(requested);
        }

        @Override
        public long fencingToken() {
            return inner.fencingToken();
        }
    }

    /** Keeps a driver's {@link AsyncLease} capability visible to the core, recording each refresh when it completes. */
    private final class RecordingAsyncLease extends RecordingLease implements AsyncLease {
        private final AsyncLease async;

        RecordingAsyncLease(AsyncLease inner) {
            super(inner);
            this.async = inner;
        }

        @Override
        public CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout) {
            long sent = System.nanoTime();
            return async.refreshAsync(backendTtl(ttl), timeout).whenComplete((ignored, error) -> {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                String outcome = cause == null ? "ok" : cause instanceof LockLostException ? "lost" : "err";
                history.record("w", worker, "e", "ref", "sent", sent, "t", System.nanoTime(), "token", async.fencingToken(),
                        "outcome", outcome, "trustedTtlNs", Math.min(ttl.toNanos(), guaranteedTtl(ttl).toNanos()));
            });
        }
    }
}
