package io.robit.tck;

import io.robit.spi.AsyncLeaseSession;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import io.robit.spi.support.ForwardingContention;
import io.robit.spi.support.ForwardingDriver;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A driver that counts what the core asks of the leases it hands out: per-lease refreshes, and
 * keep-alives of each session. A session lease stays a session lease (its session seen through one
 * counting view per session, so the core still shares one renewal among the leases on it).
 * Everything else goes to the driver it wraps, its own contention included. Thread-safe.
 */
final class SessionCountingDriver<ID> extends ForwardingDriver<ID> {
    final AtomicInteger refreshes = new AtomicInteger();
    final AtomicInteger keepAlives = new AtomicInteger();
    /** Every lease handed out, in order. */
    final List<Lease> leases = new CopyOnWriteArrayList<>();
    private final ReentrantLock viewsLock = new ReentrantLock();
    private final Map<LeaseSession, CountedSession> views = new IdentityHashMap<>();

    SessionCountingDriver(Driver<ID> delegate) {
        super(delegate);
    }

    @Override
    public Optional<Lease> acquire(ID id, Duration ttl, Duration timeout) throws InterruptedException {
        return super.acquire(id, ttl, timeout).map(this::wrap);
    }

    @Override
    public Contention contend(ID id, Duration ttl, Duration timeout) {
        return new ForwardingContention(super.contend(id, ttl, timeout)) {
            @Override
            public Optional<Lease> tryAcquire() throws InterruptedException {
                return super.tryAcquire().map(SessionCountingDriver.this::wrap);
            }
        };
    }

    @Override
    public void release(Lease lease) {
        super.release(lease instanceof Counted counted ? counted.inner : lease);
    }

    /** The driver's own session behind a counting view, or the session itself. */
    static LeaseSession unwrap(LeaseSession session) {
        return session instanceof CountedSession counted ? counted.inner : session;
    }

    private Lease wrap(Lease inner) {
        Lease wrapped = inner instanceof SessionLease onSession
                ? new CountedSessionLease(onSession, refreshes, view(onSession.session())) : new Counted(inner, refreshes);
        leases.add(wrapped);
        return wrapped;
    }

    private CountedSession view(LeaseSession session) {
        viewsLock.lock();
        try {
            return views.computeIfAbsent(session, s -> s instanceof AsyncLeaseSession async
                    ? new CountedAsyncSession(async, keepAlives) : new CountedSession(s, keepAlives));
        } finally {
            viewsLock.unlock();
        }
    }

    private static class Counted implements Lease {
        final Lease inner;
        private final AtomicInteger refreshes;

        Counted(Lease inner, AtomicInteger refreshes) {
            this.inner = inner;
            this.refreshes = refreshes;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
            refreshes.incrementAndGet();
            inner.refresh(ttl, timeout);
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

    private static final class CountedSessionLease extends Counted implements SessionLease {
        private final LeaseSession session;

        CountedSessionLease(SessionLease inner, AtomicInteger refreshes, LeaseSession session) {
            super(inner, refreshes);
            this.session = session;
        }

        @Override
        public LeaseSession session() {
            return session;
        }
    }

    private static class CountedSession implements LeaseSession {
        final LeaseSession inner;
        final AtomicInteger keepAlives;

        CountedSession(LeaseSession inner, AtomicInteger keepAlives) {
            this.inner = inner;
            this.keepAlives = keepAlives;
        }

        @Override
        public Duration keepAlive(Duration timeout) throws InterruptedException {
            keepAlives.incrementAndGet();
            return inner.keepAlive(timeout);
        }

        @Override
        public CompletableFuture<Void> lost() {
            return inner.lost();
        }
    }

    private static final class CountedAsyncSession extends CountedSession implements AsyncLeaseSession {
        private final AsyncLeaseSession async;

        CountedAsyncSession(AsyncLeaseSession inner, AtomicInteger keepAlives) {
            super(inner, keepAlives);
            this.async = inner;
        }

        @Override
        public CompletableFuture<Duration> keepAliveAsync(Duration timeout) {
            keepAlives.incrementAndGet();
            return async.keepAliveAsync(timeout);
        }
    }
}
