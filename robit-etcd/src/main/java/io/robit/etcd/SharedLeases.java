package io.robit.etcd;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.options.LeaseOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The driver's shared etcd leases (the sessions of its holds), one per TTL in whole seconds,
 * granted on first use and again after etcd drops one. Thread-safe; never blocks: every call
 * returns a future.
 */
final class SharedLeases {
    /** Attempts of one renewal's keep-alive (see {@link #keepAlive(SharedLease, Duration)}). */
    static final int KEEP_ALIVE_ATTEMPTS = 3;
    // After a quick failure, the next attempt waits this long: a member that is down fails at once.
    private static final long RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Lease leases;
    private final KeepAliveStream stream;
    private final EtcdStore store;
    private final Duration grantTimeout;
    private final ConcurrentHashMap<Long, CompletableFuture<SharedLease>> byTtl = new ConcurrentHashMap<>();

    /** @param channel the driver's own client's lease channel, or null over a client the user passed in */
    SharedLeases(Lease leases, LeaseChannel channel, EtcdStore store, Duration grantTimeout) {
        this.leases = leases;
        this.stream = new KeepAliveStream(channel);
        this.store = store;
        this.grantTimeout = grantTimeout;
    }

    EtcdStore store() {
        return store;
    }

    /** etcd counts lease TTLs in whole seconds: round up, so the lease never ends before the asked ttl. */
    static long ttlSeconds(Duration ttl) {
        long seconds = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0);
        return Math.max(1, seconds);
    }

    /** A usable lease of {@code ttlSeconds}; concurrent callers share one grant. */
    CompletableFuture<SharedLease> forTtl(long ttlSeconds) {
        return byTtl.compute(ttlSeconds, (seconds, current) -> usableOrPending(current) ? current : grant(seconds));
    }

    private static boolean usableOrPending(CompletableFuture<SharedLease> lease) {
        if (lease == null) {
            return false;
        }
        if (!lease.isDone()) {
            return true;
        }
        return !lease.isCompletedExceptionally() && lease.join().usable();
    }

    private CompletableFuture<SharedLease> grant(long ttlSeconds) {
        long sent = System.nanoTime();
        return leases.grant(ttlSeconds).orTimeout(grantTimeout.toNanos(), TimeUnit.NANOSECONDS).thenApply(granted -> {
            if (granted.getTTL() < ttlSeconds) {
                leases.revoke(granted.getID());
                throw new IllegalStateException("etcd granted a " + granted.getTTL() + " s lease when " + ttlSeconds + " s was asked");
            }
            return new SharedLease(this, granted.getID(), granted.getTTL(), sent);
        });
    }

    /**
     * One keep-alive: completes with the TTL etcd granted, in seconds. Completes exceptionally with
     * {@link GoneException} when etcd says the lease no longer exists (and marks it gone), with a
     * {@link TimeoutException} when no answer came within the driver's request timeout.
     */
    CompletableFuture<Long> keepAlive(SharedLease lease) {
        return keepAlive(lease, grantTimeout.toNanos());
    }

    /**
     * One keep-alive, on the driver's keep-alive stream (one message) where it has one, else by jetcd's
     * {@code keepAliveOnce} (a stream of its own, two messages). Either way the TTL counts from a time
     * read before the request was sent, and the answer credited is the one to this request.
     */
    private CompletableFuture<Long> keepAlive(SharedLease lease, long boundNanos) {
        long sent = System.nanoTime();
        CompletableFuture<Long> ttl = stream.available()
                ? stream.keepAlive(lease.id(), boundNanos).thenApply(response -> response.getTTL())
                : leases.keepAliveOnce(lease.id()).thenApply(response -> response.getTTL()).orTimeout(boundNanos, TimeUnit.NANOSECONDS);
        return ttl.handle((seconds, error) -> {
            if (error == null && seconds > 0) {
                lease.keptAlive(sent);
                return seconds;
            }
            if (error == null || EtcdStore.isLeaseNotFound(error)) {
                GoneException gone = new GoneException(lease);
                lease.markGone(gone.getMessage());
                throw new CompletionException(gone);
            }
            throw error instanceof CompletionException c ? c : new CompletionException(error);
        });
    }

    /**
     * {@link #keepAlive}, tried again while {@code timeout} lasts when an attempt fails or has no
     * answer within half of it, up to {@link #KEEP_ALIVE_ATTEMPTS} attempts. jetcd spreads requests
     * over the URI's members (round robin), so the next attempt goes to another member: a member cut
     * off from the others answers {@code etcdserver: no leader} or nothing at all, and one such answer
     * alone used to cost a whole renewal (issue 14). Safe to repeat: any success is the leader's
     * renewal (a member forwards keep-alives to the leader), counted from that attempt's send.
     */
    CompletableFuture<Long> keepAlive(SharedLease lease, Duration timeout) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        attempt(lease, deadline, Math.max(1, timeout.toNanos() / 2), 1, result);
        return result;
    }

    private void attempt(SharedLease lease, long deadline, long boundNanos, int attempt, CompletableFuture<Long> result) {
        long left = deadline - System.nanoTime();
        keepAlive(lease, Math.max(1, Math.min(boundNanos, left))).whenComplete((ttl, error) -> {
            if (error == null) {
                result.complete(ttl);
                return;
            }
            long remaining = deadline - System.nanoTime();
            if (attempt >= KEEP_ALIVE_ATTEMPTS || EtcdStore.unwrap(error) instanceof GoneException || remaining <= RETRY_PAUSE_NANOS) {
                result.completeExceptionally(error);
                return;
            }
            CompletableFuture.delayedExecutor(RETRY_PAUSE_NANOS, TimeUnit.NANOSECONDS)
                    .execute(() -> attempt(lease, deadline, boundNanos, attempt + 1, result));
        });
    }

    /** Whether etcd no longer has {@code lease}; marks it gone if so. */
    CompletableFuture<Boolean> isGone(SharedLease lease) {
        return leases.timeToLive(lease.id(), LeaseOption.DEFAULT).thenApply(response -> {
            boolean gone = response.getTTL() < 0;
            if (gone) {
                lease.markGone("etcd " + lease + " is gone (expired or revoked)");
            }
            return gone;
        });
    }

    /** Ends the keep-alive stream (the driver closes). */
    void close() {
        stream.close();
    }

    /** Best-effort revoke, not awaited. */
    void revoke(SharedLease lease) {
        lease.markDead();
        leases.revoke(lease.id()).exceptionally(error -> null);
    }

    /** etcd no longer has the lease: it expired or was revoked, and every key bound to it is gone. */
    static final class GoneException extends Exception {
        private static final long serialVersionUID = 1L;

        GoneException(SharedLease lease) {
            super("etcd " + lease + " is gone (expired or revoked)", null, false, false);
        }
    }
}
