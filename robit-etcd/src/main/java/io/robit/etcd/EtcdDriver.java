package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
 * would add a grant and a revoke (two more). The shared lease is the holds' session
 * ({@link io.robit.spi.SessionLease}): the core keeps it alive with one keep-alive per renew
 * period for all the holds on it, each extending every hold's local deadline from its send time,
 * and no hold sends a request of its own; if etcd drops it, every hold bound to it is lost and the
 * next acquire takes a new lease. etcd counts TTLs in
 * whole seconds from when it handles the request and raises small ones to its minimum; the driver
 * tracks the TTL etcd actually granted and the send time of the last grant or keep-alive, and tells
 * the core ({@link Lease#guaranteedTtl}) how long each hold may count on: the ttl when the acquire
 * kept the lease alive, else what the lease surely had left (at least
 * {@link Builder#minTrustedFraction} of the ttl, or the acquire keeps it alive). The shared lease
 * is never revoked while a hold or an acquire in flight may have a key on it ({@link SharedLease});
 * keys of ours that no hold owns (a failed release, an acquire with an unknown outcome) are deleted,
 * owner-checked, by the {@link KeyReclaimer}.
 *
 * <p><b>Loss and waiting by watch.</b> Each hold watches its key for deletion from the revision
 * after its creation (opened {@value DeferredWatches#DELAY_MILLIS} ms after the acquire, so short
 * holds never pay for it; a delete in between is replayed), so a delete (another client, lease
 * expiry or revoke) completes {@link Lease#lost()} within a round trip; a lease found gone ends
 * the session, and with it every hold on it.
 * Waiting calls ({@link #contend}) are served in arrival order through the lock's waiter queue
 * ({@link WaitQueue}): each watches its predecessor's place, the first one the key, from the
 * revision its last request saw, so a release wakes one waiter; a free lock is not taken, not even
 * by {@link #acquire}, while anyone waits for it (an acquire reads the queue in its transaction and
 * gives back a key it took ahead of a waiter).
 *
 * <p>This class adapts the SPI; the etcd requests are {@link EtcdStore}'s, the hold bookkeeping
 * {@link Holds}'s. Thread-safe. A driver built with {@link #builder(String)} owns its jetcd client and closes it;
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

    private final Client client;
    private final boolean ownsClient;
    private final Keys keys;
    private final EtcdStore store;
    private final Holds holds;
    private final LockInspector inspector;

    /** @param leaseChannel the lease channel of a client the driver built, null over the user's client */
    private EtcdDriver(Builder builder, Client client, LeaseChannel leaseChannel) {
        this.client = client;
        this.ownsClient = leaseChannel != null;
        this.keys = new Keys(builder.keyPrefix);
        this.store = new EtcdStore(builder.backendLabel(), client);
        this.holds = new Holds(store, client, leaseChannel, builder.requestTimeout, builder.leaseHeadroom, builder.minTrustedFraction);
        this.inspector = new LockInspector(client, keys, store, builder.requestTimeout);
    }

    /** A driver over {@code client}, with the default key prefix; closing the driver leaves the client open. */
    public static EtcdDriver create(Client client) {
        return builder(client).build();
    }

    /**
     * A driver that connects to the endpoints of {@code uri} and owns that connection; the same as
     * {@code builder(uri).build()} and as {@link io.robit.Drivers#open} for an {@code etcd://} or
     * {@code etcds://} URI.
     *
     * @throws IllegalArgumentException the URI is malformed; the message shows the expected form
     */
    public static EtcdDriver open(String uri) {
        return builder(uri).build();
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
     * does not exist, and reads the lock's waiter queue at the same revision; a key taken while a
     * place was there is given back at once. Empty if another hold (of any process, this one
     * included) has it, or if callers wait for it: a free lock goes to the longest waiter, not to
     * whoever tries first. (Where this driver last saw waiters, the queue is read before the
     * transaction instead, which then also requires the head seen gone.)
     */
    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        ByteSequence key = keys.key(id);
        requirePositive(ttl, "ttl");
        requirePositive(timeout, "timeout");
        holds.ensureOpen();
        try (EtcdContention once = new EtcdContention(holds, id, key, ttl, timeout, false)) {
            return once.tryAcquire();
        }
    }

    /**
     * One waiting call, served in arrival order: it queues in the lock's waiter queue at its first
     * failed attempt and waits, by watch, for its predecessor and then for the lock key (see
     * {@link EtcdContention}).
     */
    @Override
    public Contention contend(String id, Duration ttl, Duration timeout) {
        ByteSequence key = keys.key(id);
        requirePositive(ttl, "ttl");
        requirePositive(timeout, "timeout");
        return new EtcdContention(holds, id, key, ttl, timeout, true);
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
        if (!(lease instanceof EtcdLease held) || held.holds() != holds) {
            LOG.warn("release of a lease this etcd driver did not grant ignored: {}", lease);
            return;
        }
        if (held.beginRelease()) {
            holds.release(held);
        }
    }

    /**
     * Waits for the key's deletion by watch, after one read (a {@link #contend contention} skips the
     * read). Returns at once if the key is absent.
     */
    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        EtcdContention.awaitBlocking(awaitReleaseAsync(id, maxWait), maxWait);
    }

    /**
     * Waits like {@link #awaitRelease} without parking a thread: the watch's DELETE event (or a
     * timer at {@code maxWait}) completes the future on jetcd's threads. Cancelling it ends the wait.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
        return EtcdContention.awaitDelete(holds, id, keys.key(id), keys.key(id), 0, maxWait);
    }

    /** The lock watches its waiters share (for tests). */
    QueueWatches queueWatches() {
        return holds.queueWatches();
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
        holds.ensureOpen();
        return inspector.inspect(id, key);
    }

    /** Every lock held now under this driver's key prefix, in name order. */
    @Override
    public List<LockInfo> list() {
        holds.ensureOpen();
        return inspector.list();
    }

    /** Closes the jetcd client if this driver opened it, and the driver's watches. Leases still held simply expire. */
    @Override
    public void close() {
        if (holds.closeOnce() && ownsClient) {
            client.close();
        }
    }

    /** How failures name this backend, e.g. {@code "etcd 127.0.0.1:2379"}. */
    public String backend() {
        return store.backend();
    }

    /** The prefix of every lock key. */
    public String keyPrefix() {
        return keys.prefix();
    }

    @Override
    public String toString() {
        return "EtcdDriver[" + store.backend() + ", prefix '" + keys.prefix() + "']";
    }

    static Duration requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
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
                return new EtcdDriver(this, client, null);
            }
            LeaseChannel leaseChannel = new LeaseChannel();
            return new EtcdDriver(this, EtcdStore.connect(uri, requestTimeout, leaseChannel), leaseChannel);
        }

        private String backendLabel() {
            return endpointDescription == null ? "etcd" : "etcd " + endpointDescription;
        }
    }
}
