package io.robit.tck;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory backend whose leases live on sessions, for testing {@link SessionLeaseContract}
 * itself. A session never expires on its own; {@link #endSession} ends it and frees its locks.
 * {@link Mode} says how the driver behaves: correctly (one session per driver, told when it ends),
 * telling only one of its holds when the session ends (the others' keep-alives go on answering
 * from a stale cache), or with a session object per lease (nothing shared: a keep-alive per hold).
 */
final class SessionFixture implements DriverFixture<String> {
    enum Mode { CORRECT, TELLS_ONLY_ONE, SESSION_PER_LEASE }

    private static final Duration GUARANTEE = Duration.ofMinutes(5);

    private final Mode mode;
    private final Map<String, Held> locks = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();

    SessionFixture(Mode mode) {
        this.mode = mode;
    }

    @Override
    public Driver<String> newDriver() {
        return new SessionDriver();
    }

    @Override
    public String newLockId() {
        return "lock-" + UUID.randomUUID();
    }

    @Override
    public void breakLease(String id) {
        Held held = locks.remove(id);
        if (held != null) {
            held.lease.lost.completeExceptionally(new LockLostException(id, LossReason.GONE, "deleted behind its back"));
        }
    }

    @Override
    public void endSession(LeaseSession session) {
        FakeSession ended = (FakeSession) session;
        ended.backendAlive = false;
        boolean toldOne = false;
        for (Map.Entry<String, Held> entry : locks.entrySet()) {
            Held held = entry.getValue();
            if (held.lease.backendSession == ended.backendSession && locks.remove(entry.getKey(), held)
                    && mode == Mode.TELLS_ONLY_ONE && !toldOne) {
                held.lease.lost.completeExceptionally(new LockLostException(entry.getKey(), LossReason.EXPIRED, "its session ended"));
                toldOne = true;
            }
        }
        if (mode != Mode.TELLS_ONLY_ONE) {
            ended.lost.completeExceptionally(new LockLostException("session", LossReason.EXPIRED, "the session ended"));
        }
    }

    private record Held(FakeLease lease) {
    }

    private final class SessionDriver implements Driver<String> {
        private final Object backendSession = new Object();
        private final FakeSession shared = new FakeSession(backendSession);

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) {
            FakeSession session = mode == Mode.SESSION_PER_LEASE ? new FakeSession(backendSession) : shared;
            FakeLease lease = new FakeLease(id, tokens.incrementAndGet(), session);
            return locks.putIfAbsent(id, new Held(lease)) == null ? Optional.of(lease) : Optional.empty();
        }

        @Override
        public void release(Lease lease) {
            FakeLease mine = (FakeLease) lease;
            locks.computeIfPresent(mine.id, (id, held) -> held.lease == mine ? null : held);
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
    }

    private final class FakeSession implements LeaseSession {
        final Object backendSession;
        final CompletableFuture<Void> lost = new CompletableFuture<>();
        volatile boolean backendAlive = true;

        FakeSession(Object backendSession) {
            this.backendSession = backendSession;
        }

        @Override
        public Duration keepAlive(Duration timeout) {
            // TELLS_ONLY_ONE answers from a stale cache: it never notices the end.
            if (!backendAlive && mode != Mode.TELLS_ONLY_ONE) {
                LockLostException gone = new LockLostException("session", LossReason.EXPIRED, "the session ended");
                lost.completeExceptionally(gone);
                throw gone;
            }
            return GUARANTEE;
        }

        @Override
        public CompletableFuture<Void> lost() {
            return lost;
        }
    }

    private static final class FakeLease implements SessionLease {
        final String id;
        final long token;
        final FakeSession session;
        final Object backendSession;
        final CompletableFuture<Void> lost = new CompletableFuture<>();

        FakeLease(String id, long token, FakeSession session) {
            this.id = id;
            this.token = token;
            this.session = session;
            this.backendSession = session.backendSession;
        }

        @Override
        public LeaseSession session() {
            return session;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) {
            session.keepAlive(timeout);
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
}
