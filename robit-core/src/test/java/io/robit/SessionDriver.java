package io.robit;

import io.robit.spi.AsyncLeaseSession;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory driver whose leases all live on one scripted session: it counts keep-alives and
 * per-lease refreshes, can hold a keep-alive's reply back for the test to give later, fail
 * keep-alives, and end the session. For core unit tests only.
 */
final class SessionDriver implements Driver<String> {
    final Session session = new Session();
    /** The session as the leases show it: the asynchronous one, or a blocking view of it. */
    final LeaseSession shown;
    final AtomicInteger refreshes = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    private final ConcurrentHashMap<String, Long> held = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();

    SessionDriver(boolean asyncSession) {
        this.shown = asyncSession ? session : new LeaseSession() {
            @Override
            public Duration keepAlive(Duration timeout) throws InterruptedException {
                try {
                    return session.keepAliveAsync(timeout).get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
                }
            }

            @Override
            public CompletableFuture<Void> lost() {
                return session.lost();
            }
        };
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) {
        long token = tokens.incrementAndGet();
        return held.putIfAbsent(id, token) == null ? Optional.of(new OnSession(id, token)) : Optional.empty();
    }

    @Override
    public void release(Lease lease) {
        releases.incrementAndGet();
        OnSession mine = (OnSession) lease;
        held.remove(mine.id, mine.token);
    }

    @Override
    public void awaitRelease(String id, Duration maxWait) {
    }

    @Override
    public void validate(String id) {
    }

    @Override
    public void close() {
    }

    /** Deletes the lock's lease behind its holder's back, as a key watch would report it. */
    void breakLease(OnSession lease) {
        held.remove(lease.id, lease.token);
        lease.lost.completeExceptionally(new LockLostException(lease.id, LossReason.GONE, "deleted by the test"));
    }

    final class OnSession implements SessionLease {
        final String id;
        final long token;
        final CompletableFuture<Void> lost = new CompletableFuture<>();

        OnSession(String id, long token) {
            this.id = id;
            this.token = token;
        }

        @Override
        public LeaseSession session() {
            return shown;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) {
            refreshes.incrementAndGet();
        }

        @Override
        public CompletableFuture<Void> lost() {
            return lost;
        }

        @Override
        public long fencingToken() {
            return token;
        }
    }

    static final class Session implements AsyncLeaseSession {
        final AtomicInteger keepAlives = new AtomicInteger();
        /** Replies held back while {@link #holdReplies} is set; the test completes them. */
        final Queue<CompletableFuture<Duration>> heldReplies = new ConcurrentLinkedQueue<>();
        volatile boolean holdReplies;
        volatile RuntimeException failure;
        /** Makes keep-alives say the session is gone without completing {@link #lost()} first. */
        volatile boolean goneOnKeepAlive;
        volatile Duration guarantee = Duration.ofMinutes(1);
        private final CompletableFuture<Void> lost = new CompletableFuture<>();

        @Override
        public CompletableFuture<Duration> keepAliveAsync(Duration timeout) {
            keepAlives.incrementAndGet();
            if (lost.isDone() || goneOnKeepAlive) {
                return CompletableFuture.failedFuture(gone());
            }
            RuntimeException error = failure;
            if (error != null) {
                return CompletableFuture.failedFuture(error);
            }
            if (holdReplies) {
                CompletableFuture<Duration> reply = new CompletableFuture<>();
                heldReplies.add(reply);
                return reply;
            }
            return CompletableFuture.completedFuture(guarantee);
        }

        @Override
        public Duration keepAlive(Duration timeout) {
            throw new AssertionError("an AsyncLeaseSession is kept alive asynchronously");
        }

        @Override
        public CompletableFuture<Void> lost() {
            return lost;
        }

        /** The backend ends the session and says so. */
        void end() {
            lost.completeExceptionally(gone());
        }

        static LockLostException gone() {
            return new LockLostException("session", LossReason.EXPIRED, "the session expired");
        }
    }
}
