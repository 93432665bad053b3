package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.robit.DriverException;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.LockInfo;
import io.robit.spi.Lease;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Robit locks on etcd v3, through jetcd.
 *
 * <p><b>On etcd.</b> A lock is the key {@code keyPrefix + id} (default prefix {@code "robit/lock/"}).
 * Acquire is one transaction: create the key, bound to a lease, only if it does not exist. The
 * fencing token is the key's <em>create revision</em>: etcd's revision counter is one per cluster
 * and only grows, so every later acquisition of any lock on the cluster has a larger token.
 * Release deletes the key only if its create revision is still ours.
 *
 * <p><b>One lease per driver and ttl.</b> Like Go's {@code concurrency.Session}, the driver binds
 * all its holds of one ttl (rounded up to whole seconds) to one shared etcd lease, granted on
 * first use. Acquiring is then one durable write and releasing another, where a lease per hold
 * would add a grant and a revoke (two more). Holds keep the shared lease alive through their
 * refreshes (one keep-alive, sent only when the lease might not last the ttl); if etcd drops it,
 * every hold bound to it is lost and the next acquire takes a new lease. etcd counts TTLs in
 * whole seconds from when it handles the request and raises small ones to its minimum; the driver
 * tracks the TTL etcd actually granted and the send time of the last grant or keep-alive, and tells
 * the core ({@link Lease#guaranteedTtl}) how long each hold may count on: the ttl when the acquire
 * kept the lease alive, else what the lease surely had left (at least
 * {@link Builder#minTrustedFraction} of the ttl, or the acquire keeps it alive). The shared lease
 * is never revoked while a hold or an acquire in flight may have a key on it ({@link SessionLease});
 * keys of ours that no hold owns (a failed release, an acquire with an unknown outcome) are deleted,
 * owner-checked, by the {@link KeyReclaimer}.
 *
 * <p><b>Loss and waiting by watch.</b> Each hold watches its key for deletion from the revision
 * after its creation (opened {@value DeferredWatches#DELAY_MILLIS} ms after the acquire, so short
 * holds never pay for it; a delete in between is replayed), so a delete (another client, lease
 * expiry or revoke) completes {@link Lease#lost()} within a round trip, without waiting for the
 * next refresh.
 * {@link #awaitRelease} watches the key the same way and wakes as soon as it is deleted.
 *
 * <p>Thread-safe. A driver built with {@link #builder(String)} owns its jetcd client and closes it;
 * one built over a {@link Client} never closes that client.
 */
public final class EtcdDriver implements Driver<String>, Inspectable<String> {
    /** The key prefix used unless the builder sets another. */
    public static final String DEFAULT_KEY_PREFIX = "robit/lock/";
    /** The bound on {@link #release} and on the probe in {@link #awaitRelease}, unless the builder sets another. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** The least part of the ttl a new hold counts on, unless the builder sets another. */
    public static final double DEFAULT_MIN_TRUSTED_FRACTION = 0.9;

    private static final Logger LOG = LoggerFactory.getLogger(EtcdDriver.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Client client;
    private final boolean ownsClient;
    private final KV kv;
    private final Watch watch;
    private final Keys keys;
    private final Calls calls;
    private final Duration requestTimeout;
    private final Duration leaseHeadroom;
    private final double minTrustedFraction;
    private final SessionLeases sessions;
    private final ByteSequence holderValue;
    private final ScheduledThreadPoolExecutor executor;
    private final DeferredWatches watches;
    private final KeyReclaimer reclaimer;
    private final AtomicLong attempts = new AtomicLong();
    private final LockInspector inspector;
    private final AtomicBoolean closed = new AtomicBoolean();
    // Whether a lease was ever granted: until then acquires connect outside their time limit.
    private volatile boolean warm;
    // Holds not yet ended, so close() can stop their watches on a client it does not own.
    private final Set<EtcdLease> active = ConcurrentHashMap.newKeySet();
    // The revision at which this thread last found a lock held, so awaitRelease can watch from there without a read.
    private final ThreadLocal<Contended> lastContended = new ThreadLocal<>();

    private EtcdDriver(Builder builder, Client client, boolean ownsClient) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.kv = client.getKVClient();
        this.watch = client.getWatchClient();
        this.keys = new Keys(builder.keyPrefix);
        this.calls = new Calls(builder.backendLabel());
        this.requestTimeout = builder.requestTimeout;
        this.leaseHeadroom = builder.leaseHeadroom;
        this.minTrustedFraction = builder.minTrustedFraction;
        this.sessions = new SessionLeases(client.getLeaseClient(), builder.requestTimeout);
        this.holderValue = ByteSequence.from(holderDescription(), StandardCharsets.UTF_8);
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "robit-etcd-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.executor.setRemoveOnCancelPolicy(true);
        this.watches = new DeferredWatches(executor);
        this.reclaimer = new KeyReclaimer(kv, executor, closed::get, builder.requestTimeout);
        this.inspector = new LockInspector(client, keys, calls, builder.requestTimeout);
    }

    /** A driver over {@code client}, with the default key prefix; closing the driver leaves the client open. */
    public static EtcdDriver create(Client client) {
        return builder(client).build();
    }

    /** Options for a driver over {@code client}; closing the driver leaves the client open. */
    public static Builder builder(Client client) {
        return new Builder(Objects.requireNonNull(client, "client must not be null"), null);
    }

    /**
     * Options for a driver that connects to the endpoints of {@code uri} and owns that connection:
     * {@code etcd://[user:password@]host[:port][,host[:port]...][?prefix=P&timeout=5s&headroom=1s]}
     * (port 2379 by default; {@code prefix} sets the key prefix, {@code timeout} the request timeout,
     * {@code headroom} the {@linkplain Builder#leaseHeadroom lease headroom}). TLS: {@code etcds://...}
     * or {@code tls=true}, with {@code cacert=PEM} (else the JVM's trust store), {@code cert=PEM&key=PEM}
     * for a client certificate; the server's host name is always verified. The password may come
     * from {@code passwordFile=PATH} or {@code passwordEnv=NAME} instead of the user info (see
     * docs/security.md).
     *
     * @throws IllegalArgumentException the URI is malformed; the message shows the expected form
     */
    public static Builder builder(String uri) {
        return new Builder(null, EtcdUri.parse(uri));
    }

    /**
     * Makes one attempt: one transaction that creates the key bound to the shared lease if the key
     * does not exist. Empty if another hold (of any process, this one included) has it.
     */
    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        ByteSequence key = keys.key(id);
        long ttlNanos = requirePositive(ttl, "ttl").toNanos();
        requirePositive(timeout, "timeout");
        ensureOpen();
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        // A lease that etcd dropped between our last look and this request costs one retry with a fresh lease.
        for (int attempt = 1; ; ) {
            CompletableFuture<SessionLease> granting = sessions.forTtl(SessionLeases.ttlSeconds(ttl.plus(leaseHeadroom)));
            SessionLease session;
            if (!warm && !granting.isDone()) {
                // A cold client connects (and is granted its first lease) first, which on a loaded machine
                // or over TLS may take longer than one attempt is allowed: bounded by the request timeout
                // instead, and the attempt's own limit starts once it is done. (The hold's local deadline
                // is the core's, counted from before this call, and start stays before the grant was
                // sent: waiting here only shortens what the hold trusts.)
                session = calls.await(granting, System.nanoTime() + Math.max(timeout.toNanos(), requestTimeout.toNanos()), id, "acquire");
                deadline = System.nanoTime() + timeout.toNanos();
            } else {
                session = calls.await(granting, deadline, id, "acquire");
            }
            warm = true;
            // Counted before the transaction is sent: from then on a revoke of this lease could delete our key.
            if (!session.tryUse()) {
                // Retired or dropped since it was handed out: the next look grants a fresh one.
                if (deadline - System.nanoTime() <= 0) {
                    throw calls.failure(id, "acquire", new TimeoutException("no usable etcd lease in time"));
                }
                continue;
            }
            try {
                return attempt(id, key, session, start, ttlNanos, deadline);
            } catch (SessionLeases.GoneException gone) {
                if (++attempt > 2) {
                    throw calls.failure(id, "acquire", gone);
                }
            }
        }
    }

    /** One transaction on {@code session}, which counts this attempt as a user; it stays one only if a hold is returned. */
    private Optional<Lease> attempt(String id, ByteSequence key, SessionLease session, long start, long ttlNanos, long deadline)
            throws InterruptedException, SessionLeases.GoneException {
        boolean holdStarted = false;
        try {
            Optional<Lease> lease = transact(id, key, session, start, ttlNanos, deadline);
            holdStarted = lease.isPresent();
            return lease;
        } finally {
            if (!holdStarted) {
                endUse(session);
            }
        }
    }

    private Optional<Lease> transact(String id, ByteSequence key, SessionLease session, long start, long ttlNanos, long deadline)
            throws InterruptedException, SessionLeases.GoneException {
        // While the shared lease surely lasts most of the ttl, skip the keep-alive and let the hold trust
        // what is left (Lease.guaranteedTtl); else keep it alive, in the same round trip as the transaction.
        long sure = session.sureNanosFrom(start);
        boolean keepAlive = sure < (long) (ttlNanos * minTrustedFraction);
        long guaranteedNanos = keepAlive ? ttlNanos : Math.min(ttlNanos, sure);
        CompletableFuture<Void> alive = keepAlive ? sessions.keepAlive(session) : CompletableFuture.completedFuture(null);
        // A value of its own lets this attempt recognise its key if the answer never comes.
        ByteSequence value = holderValue.concat(ByteSequence.from(" #" + attempts.incrementAndGet(), StandardCharsets.UTF_8));
        CompletableFuture<TxnResponse> txn = kv.txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(key, value, PutOption.builder().withLeaseId(session.id()).build()))
                .commit();
        TxnResponse response;
        try {
            response = txn.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (Calls.isLeaseNotFound(e)) {
                session.markDead();
                throw new SessionLeases.GoneException(session);
            }
            // Sent, then failed (reset, leader change, ...): it may still have been applied.
            reclaimer.afterUncertainAcquire(id, key, value, session, txn);
            throw calls.failure(id, "acquire", Calls.unwrap(e));
        } catch (TimeoutException e) {
            reclaimer.afterUncertainAcquire(id, key, value, session, txn);
            throw calls.failure(id, "acquire", new TimeoutException("no answer from " + calls.backend() + " in time (unreachable, or no leader?)"));
        } catch (InterruptedException e) {
            reclaimer.afterUncertainAcquire(id, key, value, session, txn);
            throw e;
        }
        if (!response.isSucceeded()) {
            lastContended.set(new Contended(id, response.getHeader().getRevision()));
            return Optional.empty();
        }
        long token = response.getHeader().getRevision();
        try {
            calls.await(alive, deadline, id, "acquire");
        } catch (DriverException e) {
            if (e.getCause() instanceof SessionLeases.GoneException gone) {
                // etcd deleted the key together with the lease.
                throw gone;
            }
            reclaimer.deleteKnown(id, key, token, session);
            throw e;
        } catch (InterruptedException e) {
            reclaimer.deleteKnown(id, key, token, session);
            throw e;
        }
        EtcdLease lease = new EtcdLease(this, id, key, token, session, guaranteedNanos);
        active.add(lease);
        watches.watchSoon(lease);
        return Optional.of(lease);
    }

    /**
     * Deletes the key if it is still this lease's; never frees a later holder. Waits for etcd's answer
     * up to the request timeout, even on an interrupted thread (whose interrupt flag stays set),
     * unless the hold's latest refresh failed (after a loss at the local deadline, etcd is likely
     * unreachable): then it does not wait. A delete that fails or is not awaited is retried in the
     * background until it succeeds or the key is no longer ours; the shared etcd lease, which other
     * holds may use, is never revoked for it.
     */
    @Override
    public void release(Lease lease) {
        if (!(lease instanceof EtcdLease held) || held.driver() != this) {
            LOG.warn("release of a lease this etcd driver did not grant ignored: {}", lease);
            return;
        }
        if (!held.markReleased()) {
            return;
        }
        if (held.renewalFailing()) {
            // Usually a release after the core declared the hold lost: etcd may be unreachable, and
            // waiting for it would hold a thread per lock. Delete in the background, retried.
            reclaimer.deleteKnown(held.id(), held.key(), held.fencingToken(), held.session());
            return;
        }
        CompletableFuture<TxnResponse> delete;
        try {
            delete = reclaimer.deleteIfOurs(held.key(), held.fencingToken());
            calls.awaitUninterruptibly(delete, System.nanoTime() + requestTimeout.toNanos(), held.id(), "release");
        } catch (RuntimeException e) {
            // The key stays until the retried delete succeeds or its lease ends with its last user
            // (at once if it has none: then no other key can be on it).
            if (held.session().retire() && !isClosed()) {
                sessions.revoke(held.session());
            }
            reclaimer.deleteKnown(held.id(), held.key(), held.fencingToken(), held.session());
            LOG.warn("release of lock '{}' failed; retrying the delete in the background (the key ends at the latest with etcd {}): {}",
                    held.id(), held.session(), e.toString());
        }
    }

    /**
     * Waits for the key's deletion by watch: from the revision at which this thread last found the
     * lock held (no read needed), else after one read. Returns at once if the key is absent.
     */
    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        ByteSequence key = keys.key(id);
        long maxNanos = Objects.requireNonNull(maxWait, "maxWait must not be null").toNanos();
        if (maxNanos <= 0) {
            return;
        }
        ensureOpen();
        long deadline = System.nanoTime() + maxNanos;
        long fromRevision;
        Contended contended = lastContended.get();
        lastContended.remove();
        if (contended != null && contended.id().equals(id)) {
            fromRevision = contended.revision() + 1;
        } else {
            long probeDeadline = System.nanoTime() + Math.min(maxNanos, requestTimeout.toNanos());
            GetResponse now;
            try {
                now = calls.await(kv.get(key, GetOption.builder().withKeysOnly(true).build()), probeDeadline, id, "await release");
            } catch (DriverException e) {
                LOG.debug("await release of lock '{}': {}", id, e.getMessage());
                Driver.super.awaitRelease(id, Duration.ofNanos(deadline - System.nanoTime()));
                return;
            }
            if (now.getKvs().isEmpty()) {
                return;
            }
            fromRevision = now.getHeader().getRevision() + 1;
        }
        CompletableFuture<Void> freed = new CompletableFuture<>();
        Watch.Watcher watcher = watch.watch(key, WatchOption.builder().withRevision(fromRevision).withNoPut(true).build(),
                Watch.listener(response -> {
                    if (response.getEvents().stream().anyMatch(e -> e.getEventType() == WatchEvent.EventType.DELETE)) {
                        freed.complete(null);
                    }
                }, error -> freed.complete(null), () -> freed.complete(null)));
        try {
            freed.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // maxWait passed: return, the caller tries again.
        } finally {
            watcher.close();
        }
    }

    /**
     * Waits like {@link #awaitRelease} without parking a thread: the watch's DELETE event (or a
     * timer at {@code maxWait}) completes the future on jetcd's threads. Cancelling it closes the watch.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
        ByteSequence key = keys.key(id);
        long maxNanos = Objects.requireNonNull(maxWait, "maxWait must not be null").toNanos();
        if (maxNanos <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        ensureOpen();
        Contended contended = lastContended.get();
        lastContended.remove();
        CompletableFuture<Void> freed = new CompletableFuture<>();
        wakeAfter(freed, maxNanos);
        if (contended != null && contended.id().equals(id)) {
            watchForDelete(key, contended.revision() + 1, freed);
            return freed;
        }
        kv.get(key, GetOption.builder().withKeysOnly(true).build())
                .orTimeout(Math.min(maxNanos, requestTimeout.toNanos()), TimeUnit.NANOSECONDS)
                .whenComplete((now, error) -> {
                    if (error != null) {
                        // etcd did not answer: let the caller try again after a short pause.
                        wakeAfter(freed, TimeUnit.MILLISECONDS.toNanos(50));
                    } else if (now.getKvs().isEmpty()) {
                        freed.complete(null);
                    } else {
                        watchForDelete(key, now.getHeader().getRevision() + 1, freed);
                    }
                });
        return freed;
    }

    /** Completes {@code freed} after {@code nanos} on the driver's timer; the timer task goes when {@code freed} completes. */
    private void wakeAfter(CompletableFuture<Void> freed, long nanos) {
        try {
            java.util.concurrent.ScheduledFuture<?> task = executor.schedule(() -> freed.complete(null), nanos, TimeUnit.NANOSECONDS);
            freed.whenComplete((ignored, error) -> task.cancel(false));
        } catch (RejectedExecutionException closedMeanwhile) {
            freed.complete(null);
        }
    }

    private void watchForDelete(ByteSequence key, long fromRevision, CompletableFuture<Void> freed) {
        if (freed.isDone()) {
            return;
        }
        Watch.Watcher watcher = watch.watch(key, WatchOption.builder().withRevision(fromRevision).withNoPut(true).build(),
                Watch.listener(response -> {
                    if (response.getEvents().stream().anyMatch(e -> e.getEventType() == WatchEvent.EventType.DELETE)) {
                        freed.complete(null);
                    }
                }, error -> freed.complete(null), () -> freed.complete(null)));
        freed.whenComplete((ignored, error) -> watcher.close());
    }

    /** Rejects null, empty and over-long ({@value Keys#MAX_ID_BYTES} UTF-8 bytes) names, and names with unpaired surrogates. */
    @Override
    public void validate(String id) {
        keys.key(id);
    }

    /**
     * The lock's holder as etcd has it: the owner value the holding driver wrote, the fencing token
     * (create revision) and the lease's remaining TTL. etcd keeps nothing of a free lock: empty.
     */
    @Override
    public Optional<LockInfo> inspect(String id) {
        ByteSequence key = keys.key(id);
        ensureOpen();
        return inspector.inspect(id, key);
    }

    /** Every lock held now under this driver's key prefix, in name order. */
    @Override
    public List<LockInfo> list() {
        ensureOpen();
        return inspector.list();
    }

    /** Closes the jetcd client if this driver opened it, and the driver's watches. Leases still held simply expire. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        executor.shutdownNow();
        for (EtcdLease lease : active) {
            lease.stopWatching();
        }
        active.clear();
        if (ownsClient) {
            client.close();
        }
    }

    /** How failures name this backend, e.g. {@code "etcd 127.0.0.1:2379"}. */
    public String backend() {
        return calls.backend();
    }

    /** The prefix of every lock key. */
    public String keyPrefix() {
        return keys.prefix();
    }

    @Override
    public String toString() {
        return "EtcdDriver[" + calls.backend() + ", prefix '" + keys.prefix() + "']";
    }

    // --- for EtcdLease ---

    KV kv() {
        return kv;
    }

    Watch watchClient() {
        return watch;
    }

    Calls calls() {
        return calls;
    }

    SessionLeases sessions() {
        return sessions;
    }

    boolean isClosed() {
        return closed.get();
    }

    void runCallback(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    void schedule(Runnable task, long delayMillis) {
        try {
            executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Closed: nothing more to watch.
        }
    }

    /** A hold ended (released or lost): it no longer uses its etcd lease. */
    void holdEnded(EtcdLease lease) {
        active.remove(lease);
        endUse(lease.session());
    }

    /** One user of {@code session} is done; the last user of a retired lease revokes it (no live key can be on it). */
    private void endUse(SessionLease session) {
        if (session.unuse() && !isClosed()) {
            sessions.revoke(session);
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this etcd driver (" + calls.backend() + ") is closed");
        }
    }

    static Duration requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }

    /** {@code pid@host/session UUID}: the process first, as every driver describes a holder (see LockInfo.owner). */
    private static String holderDescription() {
        return ManagementFactory.getRuntimeMXBean().getName() + "/session " + UUID.randomUUID();
    }

    private record Contended(String id, long revision) {
    }

    /** Options of an {@link EtcdDriver}; validated as they are set. Not thread-safe. */
    public static final class Builder {
        private final Client client;
        private final EtcdUri uri;
        private String keyPrefix = DEFAULT_KEY_PREFIX;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration leaseHeadroom = Duration.ZERO;
        private double minTrustedFraction = DEFAULT_MIN_TRUSTED_FRACTION;
        private String endpointDescription;

        private Builder(Client client, EtcdUri uri) {
            this.client = client;
            this.uri = uri;
            if (uri != null) {
                uri.prefix().ifPresent(this::keyPrefix);
                uri.timeout().ifPresent(this::requestTimeout);
                uri.headroom().ifPresent(this::leaseHeadroom);
                this.endpointDescription = String.join(",", uri.hostPorts());
            }
        }

        /**
         * The prefix of every lock key (default {@value #DEFAULT_KEY_PREFIX}); at most 512 UTF-8 bytes.
         * Drivers that should see each other's locks must use the same prefix.
         */
        public Builder keyPrefix(String keyPrefix) {
            new Keys(keyPrefix);
            this.keyPrefix = keyPrefix;
            return this;
        }

        /** The bound on each release and on the probe before a wait (default 5 s); acquire and refresh take theirs from the caller. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requirePositive(requestTimeout, "requestTimeout");
            return this;
        }

        /**
         * How much longer than the ttl the shared etcd lease is granted for (default zero). An acquire
         * needs no keep-alive while the lease surely lasts the ttl, so with headroom {@code h} a driver
         * that acquires often sends at most one keep-alive per {@code h} instead of one per acquire. The
         * price: the lock of a holder that crashes stays taken up to {@code h} (rounded up to whole
         * seconds, etcd's unit) longer. The local deadline is unaffected: it never counts on the headroom.
         */
        public Builder leaseHeadroom(Duration headroom) {
            Objects.requireNonNull(headroom, "leaseHeadroom must not be null");
            if (headroom.isNegative()) {
                throw new IllegalArgumentException("leaseHeadroom must not be negative, got " + headroom);
            }
            this.leaseHeadroom = headroom;
            return this;
        }

        /**
         * The least part of the ttl a new hold counts on (default {@value #DEFAULT_MIN_TRUSTED_FRACTION}),
         * in (0, 1]. While the shared lease surely lasts that long, an acquire sends no keep-alive and
         * the hold trusts its lease for what is left ({@link Lease#guaranteedTtl}): if etcd then becomes
         * unreachable, the hold is declared lost up to {@code (1 - fraction) × ttl} earlier than with a
         * keep-alive. 1 keeps the lease alive on every acquire (unless {@link #leaseHeadroom} covers it).
         */
        public Builder minTrustedFraction(double fraction) {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("minTrustedFraction must be in (0, 1], got " + fraction);
            }
            this.minTrustedFraction = fraction;
            return this;
        }

        /**
         * How failure messages name the endpoints, e.g. {@code "10.0.0.1:2379,10.0.0.2:2379"}. A driver
         * over a {@link Client} cannot read them from the client; one from a URI knows them already.
         */
        public Builder endpointDescription(String endpoints) {
            Objects.requireNonNull(endpoints, "endpoints must not be null");
            if (endpoints.isBlank()) {
                throw new IllegalArgumentException("endpoints must not be blank");
            }
            this.endpointDescription = endpoints.strip();
            return this;
        }

        /** The driver. One built from a URI opens its jetcd client now (connecting lazily, on first use). */
        public EtcdDriver build() {
            if (client != null) {
                return new EtcdDriver(this, client, false);
            }
            ClientBuilder jetcd = Client.builder()
                    .endpoints(uri.httpEndpoints())
                    // Fail fast while etcd is down, so calls end in a DriverException rather than a silent wait.
                    .waitForReady(false)
                    .connectTimeout(requestTimeout);
            uri.user().ifPresent(user -> jetcd.user(ByteSequence.from(user, StandardCharsets.UTF_8)));
            uri.password().ifPresent(password -> jetcd.password(ByteSequence.from(password, StandardCharsets.UTF_8)));
            uri.tls().ifPresent(tls -> EtcdTls.apply(jetcd, tls));
            return new EtcdDriver(this, jetcd.build(), true);
        }

        private String backendLabel() {
            return endpointDescription == null ? "etcd" : "etcd " + endpointDescription;
        }
    }
}
