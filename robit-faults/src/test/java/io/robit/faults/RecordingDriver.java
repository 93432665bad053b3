package io.robit.faults;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.spi.AsyncLease;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import io.robit.spi.support.ForwardingContention;
import io.robit.spi.support.ForwardingDriver;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wraps a worker process's one shared driver to record, around each request the core makes, the
 * monotonic time it was sent and answered, with the lock name and (for acquires) the calling
 * thread: the checkers rebuild each hold's local deadline from these (the send time of the last
 * successful acquire or refresh plus the trusted ttl). The times are read just inside the core's
 * own reading, so a deadline computed from them is never earlier than the core's. A lease that
 * lives on a backend session stays a {@link SessionLease}, its session seen through one
 * {@link RecordingSession} per session object, so the core renews it as in production (one
 * keep-alive per session, recorded) rather than with per-hold refreshes. With a
 * {@link Broken} mode other than {@code NONE} it is also one of the negative controls' broken
 * drivers. Thread-safe as the wrapped driver is.
 */
final class RecordingDriver extends ForwardingDriver<String> {
    private final History history;
    private final String worker;
    private final Broken broken;
    private final RawRedis raw;
    private final AtomicLong grants = new AtomicLong();
    private final ConcurrentHashMap<String, Long> lastToken = new ConcurrentHashMap<>();
    // One view per session object while anything uses it (the SPI: the same session object for
    // every lease on it). Both sides weak: a view nobody holds any more is dropped, and with it the session.
    private final ReentrantLock sessionsLock = new ReentrantLock();
    private final Map<LeaseSession, WeakReference<RecordingSession>> sessions = new WeakHashMap<>();
    private final AtomicLong sessionIds = new AtomicLong();

    /**
     * @param raw a plain connection to the same Redis, for {@link Broken#RELEASE_OTHERS}; else null
     */
    RecordingDriver(Driver<String> delegate, History history, String worker, Broken broken, RawRedis raw) {
        super(delegate);
        this.history = history;
        this.worker = worker;
        this.broken = broken;
        this.raw = raw;
    }

    private Duration backendTtl(Duration ttl) {
        return broken == Broken.HALVE_TTL ? ttl.dividedBy(2) : ttl;
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        return recorded(id, ttl, () -> super.acquire(id, backendTtl(ttl), timeout));
    }

    /**
     * The driver's own contention (a fair queue, a hand-over, a watch), not the default built on
     * {@link #acquire}: the suite must test the path {@code lock()} and {@code tryLock(Duration)} take.
     * Each attempt is recorded as an acquire, sent when the attempt starts.
     */
    @Override
    public Contention contend(String id, Duration ttl, Duration timeout) {
        return new ForwardingContention(super.contend(id, backendTtl(ttl), timeout)) {
            @Override
            public Optional<Lease> tryAcquire() throws InterruptedException {
                return recorded(id, ttl, super::tryAcquire);
            }
        };
    }

    /** An acquire attempt of the backend. */
    private interface Attempt {
        Optional<Lease> run() throws InterruptedException;
    }

    private Optional<Lease> recorded(String id, Duration ttl, Attempt attempt) throws InterruptedException {
        String thread = Thread.currentThread().getName();
        long sent = System.nanoTime();
        Optional<Lease> lease;
        try {
            lease = attempt.run();
        } catch (RuntimeException | InterruptedException e) {
            history.record("w", worker, "th", thread, "e", "acqErr", "name", id, "sent", sent, "t", System.nanoTime(), "err",
                    e.getClass().getSimpleName());
            throw e;
        }
        long answered = System.nanoTime();
        if (lease.isEmpty()) {
            return lease;
        }
        long n = grants.incrementAndGet();
        long real = lease.get().fencingToken();
        long token = real;
        if (broken == Broken.REUSE_TOKENS && n % 2 == 0) {
            token = lastToken.getOrDefault(id, real - 1); // the previous grant's token here, or one less
        }
        lastToken.put(id, real);
        boolean dropRefreshes = broken == Broken.HIDE_LOSS;
        RecordingLease recorded;
        if (lease.get() instanceof SessionLease onSession) {
            RecordingSession session = view(onSession.session());
            recorded = new RecordingSessionLease(id, onSession, token, dropRefreshes, session);
        } else if (lease.get() instanceof AsyncLease async && !dropRefreshes) {
            recorded = new RecordingAsyncLease(id, async, token);
        } else {
            recorded = new RecordingLease(id, lease.get(), token, dropRefreshes);
        }
        history.record("w", worker, "th", thread, "e", "acq", "name", id, "sent", sent, "t", answered, "token", token,
                "trustedTtlNs", Math.min(ttl.toNanos(), recorded.guaranteedTtl(ttl).toNanos()), "ttlNs", ttl.toNanos(),
                "session", recorded instanceof RecordingSessionLease onSession && onSession.session != null ? onSession.session.id : "");
        return Optional.of(recorded);
    }

    @Override
    public void release(Lease lease) {
        RecordingLease recorded = (RecordingLease) lease;
        long sent = System.nanoTime();
        super.release(recorded.inner);
        if (broken == Broken.RELEASE_OTHERS && raw != null) {
            raw.del("robit:{" + recorded.id + "}"); // the default prefix (RedisDriver.lockKey); whoever holds it now
        }
        history.record("w", worker, "e", "rel", "name", recorded.id, "sent", sent, "t", System.nanoTime(), "token", recorded.token);
    }

    /** The one recording view of {@code inner} (null stays null, for the core to refuse). */
    private RecordingSession view(LeaseSession inner) {
        if (inner == null) {
            return null;
        }
        sessionsLock.lock();
        try {
            WeakReference<RecordingSession> ref = sessions.get(inner);
            RecordingSession view = ref == null ? null : ref.get();
            if (view == null) {
                view = RecordingSession.of("s" + sessionIds.incrementAndGet(), inner, history, worker, broken);
                sessions.put(inner, new WeakReference<>(view));
                String viewId = view.id;
                history.record("w", worker, "e", "session", "session", viewId, "t", System.nanoTime(), "of", inner.toString());
                // A lost session is never renewed again: its view goes (a driver makes a new session).
                inner.lost().whenComplete((ignored, error) -> {
                    history.record("w", worker, "e", "sessionLost", "session", viewId, "t", System.nanoTime(),
                            "err", String.valueOf(error));
                    forget(inner);
                });
            }
            return view;
        } finally {
            sessionsLock.unlock();
        }
    }

    private void forget(LeaseSession inner) {
        sessionsLock.lock();
        try {
            sessions.remove(inner);
        } finally {
            sessionsLock.unlock();
        }
    }

    /** Records each refresh: sent, answered, and whether the backend said ok, lost, or failed. */
    private class RecordingLease implements Lease {
        final String id;
        final Lease inner;
        final long token;
        private final boolean dropRefreshes;
        private final CompletableFuture<Void> neverLost = new CompletableFuture<>();

        RecordingLease(String id, Lease inner, long token, boolean dropRefreshes) {
            this.id = id;
            this.inner = inner;
            this.token = token;
            this.dropRefreshes = dropRefreshes;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
            long sent = System.nanoTime();
            String outcome = "err";
            try {
                if (dropRefreshes) {
                    throw new DriverException("negative control: refresh of '" + id + "' dropped", null);
                }
                inner.refresh(backendTtl(ttl), timeout);
                outcome = "ok";
            } catch (LockLostException e) {
                outcome = "lost";
                if (broken == Broken.HIDE_LOSS) {
                    throw new DriverException("negative control: the loss of '" + id + "' is hidden", e);
                }
                throw e;
            } catch (InterruptedException e) {
                outcome = "interrupted";
                throw e;
            } finally {
                history.record("w", worker, "e", "ref", "name", id, "sent", sent, "t", System.nanoTime(), "token", token,
                        "outcome", outcome, "trustedTtlNs", Math.min(ttl.toNanos(), guaranteedTtl(ttl).toNanos()));
            }
        }

        @Override
        public CompletableFuture<Void> lost() {
            return broken == Broken.HIDE_LOSS ? neverLost : inner.lost();
        }

        @Override
        public Duration guaranteedTtl(Duration requested) {
            return broken == Broken.HALVE_TTL ? requested : inner.guaranteedTtl(requested);
        }

        @Override
        public long fencingToken() {
            return token;
        }
    }

    /** Keeps a lease on a backend session one, on the recording view of its session. */
    private final class RecordingSessionLease extends RecordingLease implements SessionLease {
        final RecordingSession session;

        RecordingSessionLease(String id, SessionLease inner, long token, boolean dropRefreshes, RecordingSession session) {
            super(id, inner, token, dropRefreshes);
            this.session = session;
        }

        @Override
        public LeaseSession session() {
            return session;
        }
    }

    /** Keeps a driver's {@link AsyncLease} capability visible to the core, recording each refresh when it completes. */
    private final class RecordingAsyncLease extends RecordingLease implements AsyncLease {
        private final AsyncLease async;

        RecordingAsyncLease(String id, AsyncLease inner, long token) {
            super(id, inner, token, false);
            this.async = inner;
        }

        @Override
        public CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout) {
            long sent = System.nanoTime();
            CompletableFuture<Void> result = new CompletableFuture<>();
            async.refreshAsync(backendTtl(ttl), timeout).whenComplete((ignored, error) -> {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                String outcome = cause == null ? "ok" : cause instanceof LockLostException ? "lost" : "err";
                history.record("w", worker, "e", "ref", "name", id, "sent", sent, "t", System.nanoTime(), "token", token,
                        "outcome", outcome, "trustedTtlNs", Math.min(ttl.toNanos(), guaranteedTtl(ttl).toNanos()));
                if (cause == null) {
                    result.complete(null);
                } else if (broken == Broken.HIDE_LOSS && cause instanceof LockLostException) {
                    result.completeExceptionally(new DriverException("negative control: the loss of '" + id + "' is hidden", cause));
                } else {
                    result.completeExceptionally(error);
                }
            });
            return result;
        }
    }
}
