package io.robit.faults;

import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import io.robit.spi.support.ForwardingContention;
import io.robit.spi.support.ForwardingDriver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The negative control {@link Broken#CONTENTION_REUSES_TOKENS}: a real driver whose plain
 * {@link #acquire} is untouched and whose own contention (what {@code lock()} and
 * {@code tryLock(Duration)} use) hands every other grant the token of this process's previous
 * grant of that name, as a hand-over that passes the releaser's token on would. Sits under
 * {@link RecordingDriver}, so the run fails only if the suite sends waiting calls through the
 * driver's {@link #contend}; the default contention, built on {@link #acquire}, never breaks.
 */
final class ContentionBreakingDriver extends ForwardingDriver<String> {
    private final AtomicLong contentionGrants = new AtomicLong();
    private final ConcurrentHashMap<String, Long> lastToken = new ConcurrentHashMap<>();

    ContentionBreakingDriver(Driver<String> delegate) {
        super(delegate);
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        Optional<Lease> lease = delegate().acquire(id, ttl, timeout);
        lease.ifPresent(l -> lastToken.put(id, l.fencingToken()));
        return lease;
    }

    @Override
    public Contention contend(String id, Duration ttl, Duration timeout) {
        return new ForwardingContention(delegate().contend(id, ttl, timeout)) {
            @Override
            public Optional<Lease> tryAcquire() throws InterruptedException {
                Optional<Lease> lease = delegate().tryAcquire();
                if (lease.isEmpty()) {
                    return lease;
                }
                long real = lease.get().fencingToken();
                Long previous = lastToken.put(id, real);
                if (previous == null || contentionGrants.incrementAndGet() % 2 != 0) {
                    return lease;
                }
                return Optional.of(relabelled(lease.get(), previous));
            }
        };
    }

    private static Lease relabelled(Lease inner, long token) {
        if (inner instanceof SessionLease onSession) {
            return new RelabelledSessionLease(onSession, token);
        }
        return new Relabelled(inner, token);
    }

    @Override
    public void release(Lease lease) {
        delegate().release(lease instanceof Relabelled relabelled ? relabelled.inner : lease);
    }

    /** The backend's lease under a wrong token; everything else is the backend's. */
    private static class Relabelled implements Lease {
        final Lease inner;
        private final long token;

        Relabelled(Lease inner, long token) {
            this.inner = inner;
            this.token = token;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
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
            return token;
        }
    }

    /** Keeps a lease on a backend session one, so the core renews it with its session as in production. */
    private static final class RelabelledSessionLease extends Relabelled implements SessionLease {
        private final SessionLease onSession;

        RelabelledSessionLease(SessionLease inner, long token) {
            super(inner, token);
            this.onSession = inner;
        }

        @Override
        public LeaseSession session() {
            return onSession.session();
        }
    }
}
