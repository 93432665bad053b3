package io.robit.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.robit.DriverException;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import io.robit.spi.support.Arguments;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Robit driver for Redis, on Lettuce: standalone Redis, a master found through Sentinel, or
 * Redis Cluster.
 *
 * <p><b>What it stores.</b> For a lock named {@code ID} and the default prefix {@code robit:}: the
 * lock key {@code robit:{ID}} (value: a random owner string of this acquisition; expiry: the
 * lease's TTL), and the fencing counter {@code robit:{ID}:token} (the last token granted; each
 * successful acquire sets it to {@code max(counter + 1, server TIME in µs)}, so tokens keep growing
 * even after a restart restores an older counter; no expiry), and while someone waits for a release,
 * the waiters key {@code robit:{ID}:waiters} (expiry: the holder's remaining TTL plus 5 s). All
 * carry the hash tag {@code {ID}}, so they share one Cluster slot. A release is published on the
 * channel {@code robit:{ID}:released} only when the waiters key exists, so an uncontended lock and
 * unlock publish nothing.
 *
 * <p><b>One round trip each.</b> Acquire, refresh and release are each one EVALSHA of a Lua
 * script; when the server answers NOSCRIPT (after a restart or failover) the same call falls
 * back to EVAL, which loads the script again. The core renews the leases of one ttl together, as one
 * session: one script call per 256 keys per renew period, whatever the number of holds.
 *
 * <p><b>Waiting.</b> A waiting lock call ({@link #contend}) sleeps on one pub/sub connection per
 * driver (shared by all waiters) until the release script publishes, and wakes anyway when the
 * holder's lease would run out, because pub/sub is at-most-once. What its failed attempt learned
 * (the holder's TTL) stays in its {@link Contention}, so the wait may run on any thread.
 *
 * <p>Lock names are non-empty strings of at most {@value #MAX_ID_BYTES} bytes in UTF-8 (without
 * unpaired surrogates). Thread-safe; one driver serves any number of mutexes and threads.
 */
public final class RedisDriver implements Driver<String>, Inspectable<String> {
    /** The longest lock name, in UTF-8 bytes. */
    public static final int MAX_ID_BYTES = 1024;
    /** The key prefix unless one is given. */
    public static final String DEFAULT_KEY_PREFIX = "robit:";
    /** How long a Redis call made outside any caller's timeout (release, the wait probe) may take. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(5);
    /** How long a refresh waits for others to share one script call, unless set. */
    public static final Duration DEFAULT_REFRESH_BATCH_WINDOW = Duration.ofMillis(2);

    private static final Logger LOG = LoggerFactory.getLogger(RedisDriver.class);

    private final RedisStore store;
    private final ReleaseSignals signals;

    private RedisDriver(Builder builder) {
        ReplicaAcks acks = builder.acks.forDriver();
        this.store = new RedisStore(builder.connections, builder.keyPrefix, builder.commandTimeout, acks,
                builder.refreshBatchWindow, builder.cluster);
        this.signals = new ReleaseSignals(builder.connections, builder.releaseLinger);
    }

    /**
     * A driver over a client you own, connecting to the client's default URI. Closing the driver
     * closes the connections it opened, never the client.
     */
    public static RedisDriver create(RedisClient client) {
        return builder(client).build();
    }

    /**
     * A driver over a Cluster client you own. Closing the driver closes the connections it opened,
     * never the client.
     */
    public static RedisDriver create(RedisClusterClient client) {
        return builder(client).build();
    }

    /**
     * A driver that makes and owns its client: {@code redis://[user:password@]host[:port][/db]},
     * {@code rediss://...} (TLS), {@code redis-sentinel://host:26379[,host2:26379]/db#masterId}, or
     * for Cluster {@code redis://host1:port1,host2:port2?cluster=true}. The query parameter
     * {@code keyPrefix=...} sets the key prefix, and {@code waitForReplicas=auto|N} with {@code waitForReplicasTimeout=MILLIS} the replica acknowledgement ({@code 0} turns it off; see {@link Builder#waitForReplicas}); Lettuce's own parameters ({@code timeout}, {@code database}, {@code clientName}, ...) go to Lettuce, and any other parameter is refused. Security (docs/security.md): {@code rediss} schemes
     * use TLS, verifying the server's chain and host name, with {@code cacert=PEM} (else the JVM's
     * trust store) and {@code cert=PEM&key=PEM} for a client certificate; the password may come from
     * {@code passwordFile=PATH} or {@code passwordEnv=NAME}, and then {@code user@} names the ACL user. Nothing is connected until the first call, so this
     * never fails for an unreachable server; the first call does, with a {@link DriverException}.
     *
     * @throws IllegalArgumentException the URI is malformed
     */
    public static RedisDriver open(String uri) {
        Objects.requireNonNull(uri, "uri must not be null");
        RedisUri location = RedisUri.parse(uri.strip());
        Builder builder = new Builder(Connections.open(location, DEFAULT_COMMAND_TIMEOUT));
        builder.cluster = location.cluster();
        if (location.keyPrefix() != null) {
            builder.keyPrefix(location.keyPrefix());
        }
        if (location.acks() != null) {
            builder.acks = location.acks();
        }
        return builder.build();
    }

    /** Options for a driver over a client you own, connecting to the client's default URI. */
    public static Builder builder(RedisClient client) {
        Objects.requireNonNull(client, "client must not be null");
        return new Builder(Connections.standalone(client, null, false));
    }

    /**
     * Options for a driver over a client you own, connecting to {@code uri}; the URI's host and
     * port then appear in error messages.
     */
    public static Builder builder(RedisClient client, RedisURI uri) {
        Objects.requireNonNull(client, "client must not be null");
        Objects.requireNonNull(uri, "uri must not be null");
        return new Builder(Connections.standalone(client, uri, false));
    }

    /** Options for a driver over a Cluster client you own. */
    public static Builder builder(RedisClusterClient client) {
        Objects.requireNonNull(client, "client must not be null");
        Builder builder = new Builder(Connections.cluster(client, List.of(), false));
        builder.cluster = true;
        return builder;
    }

    /** The key that holds the lock {@code id} (its value is the holder's owner string). */
    public String lockKey(String id) {
        validate(id);
        return store.keys(id).lock();
    }

    /** The key that holds the fencing counter of lock {@code id}. */
    public String counterKey(String id) {
        validate(id);
        return store.keys(id).counter();
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        validate(id);
        RedisStore.checkTtl(ttl);
        Arguments.positive("timeout", timeout);
        store.checkOpen();
        return Optional.ofNullable(store.acquire(store.keys(id), ttl, timeout, false).lease());
    }

    /** A waiting lock call: its attempts, and waits that use what the last failed attempt learned. */
    @Override
    public Contention contend(String id, Duration ttl, Duration timeout) {
        validate(id);
        RedisStore.checkTtl(ttl);
        Arguments.positive("timeout", timeout);
        return new RedisContention(store, signals, store.keys(id), ttl, timeout);
    }

    @Override
    public void release(Lease lease) {
        if (!(lease instanceof RedisLease redis) || redis.store() != store) {
            LOG.warn("Ignoring release of {}: it was not acquired through this driver", lease);
            return;
        }
        if (redis.beginRelease()) {
            store.release(redis);
        }
    }

    /**
     * Waits for a release of {@code id} without a failed attempt before it: subscribes, reads the
     * holder's TTL, then sleeps until a release message or that TTL runs out ({@link #contend} spares
     * the read).
     */
    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        if (maxWait.isNegative() || maxWait.isZero()) {
            return;
        }
        validate(id);
        RedisContention.await(store, signals, store.keys(id), null, maxWait);
    }

    /**
     * Waits like {@link #awaitRelease} without parking a thread: the release message completes the
     * future on Lettuce's I/O thread, and a timer wakes it at the holder's expiry or {@code maxWait}.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        if (maxWait.isNegative() || maxWait.isZero()) {
            return CompletableFuture.completedFuture(null);
        }
        validate(id);
        return RedisContention.awaitAsync(store, signals, store.keys(id), null, maxWait);
    }

    /**
     * What Redis holds for lock {@code id}: the holder's owner value and the key's remaining TTL
     * while held, and the fencing counter (the token of the current or the last hold). Empty when
     * neither key exists. The acquisition time is not stored, so {@link LockInfo#since()} is empty.
     *
     * @throws DriverException Redis failed or did not answer within the command timeout
     */
    @Override
    public Optional<LockInfo> inspect(String id) {
        validate(id);
        store.checkOpen();
        return store.inspect(store.keys(id));
    }

    /**
     * Every lock this driver's key prefix has a fencing counter for (every lock ever acquired, as
     * long as its counter key lives), in name order; on Cluster, from every master. One SCAN pass
     * plus one call per lock: for operators, not for hot paths.
     *
     * @throws DriverException Redis failed
     */
    @Override
    public List<LockInfo> list() {
        store.checkOpen();
        return store.lockNames().stream().sorted().map(this::inspect).flatMap(Optional::stream).toList();
    }

    /**
     * Rejects null, empty, too long (over {@value #MAX_ID_BYTES} UTF-8 bytes) and not
     * UTF-8-representable (unpaired surrogate) lock names.
     */
    @Override
    public void validate(String id) {
        Arguments.lockNameBytes(id, MAX_ID_BYTES);
    }

    /** Closes the connections this driver opened, and the client too when {@link #open} made it. Idempotent. */
    @Override
    public void close() {
        signals.close();
        store.close();
    }

    @Override
    public String toString() {
        return "RedisDriver[" + store + "]";
    }

    /** Options of a {@link RedisDriver}; build with {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private final Connections connections;
        private String keyPrefix = DEFAULT_KEY_PREFIX;
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private ReplicaAcks acks = ReplicaAcks.automatic(ReplicaAcks.DEFAULT_TIMEOUT);
        private Duration refreshBatchWindow = DEFAULT_REFRESH_BATCH_WINDOW;
        private boolean cluster;
        private Duration releaseLinger = ReleaseSignals.LINGER;

        private Builder(Connections connections) {
            this.connections = connections;
        }

        /**
         * How long a {@link Lease#refresh} called directly (outside the core, which renews whole
         * sessions) waits for others to share its script call (default 2 ms; zero sends each
         * refresh alone); on Cluster only the locks of one hash slot share a call.
         */
        public Builder refreshBatchWindow(Duration window) {
            Objects.requireNonNull(window, "refreshBatchWindow must not be null");
            if (window.isNegative() || window.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("refreshBatchWindow must be between 0 and 1 s, got " + window);
            }
            this.refreshBatchWindow = window;
            return this;
        }

        /**
         * The prefix of every key and channel (default {@value RedisDriver#DEFAULT_KEY_PREFIX}); may
         * be empty. It must not contain '{' or '}', which would change the keys' hash tag.
         */
        public Builder keyPrefix(String keyPrefix) {
            Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
            if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
                throw new IllegalArgumentException("keyPrefix must not contain '{' or '}' (they would change the Cluster hash tag), got '"
                        + keyPrefix + "'");
            }
            this.keyPrefix = keyPrefix;
            return this;
        }

        /** The timeout of calls no caller bounds: release and the check before a wait. Default 5 s. */
        public Builder commandTimeout(Duration commandTimeout) {
            Objects.requireNonNull(commandTimeout, "commandTimeout must not be null");
            if (commandTimeout.isNegative() || commandTimeout.isZero()) {
                throw new IllegalArgumentException("commandTimeout must be positive, got " + commandTimeout);
            }
            this.commandTimeout = commandTimeout;
            return this;
        }

        /**
         * After each grant and each renewal, send {@code WAIT replicas timeout} on the same
         * connection and trust the write only if that many replicas acknowledged it: an acquire is
         * given back and fails with a {@link DriverException}, a renewal fails (the hold is lost at
         * its local deadline unless a later renewal is acknowledged). The default is
         * {@link #waitForReplicasWhenPresent} with 1 s. This narrows, but does not close, the window
         * in which a failover to a replica that missed the write hands the lock to a second holder:
         * replication stays asynchronous.
         *
         * @param replicas how many replicas must acknowledge; 0 turns the check off
         * @param timeout how long WAIT may block (ignored when {@code replicas} is 0)
         */
        public Builder waitForReplicas(int replicas, Duration timeout) {
            this.acks = ReplicaAcks.fixed(replicas, timeout);
            return this;
        }

        /**
         * The default: like {@link #waitForReplicas} with one replica, once the deployment is known
         * to have replicas — a Cluster whose topology lists replicas, or a master whose {@code INFO
         * replication} lists an online replica or an active replication backlog (it had a replica
         * within {@code repl-backlog-ttl}, an hour by default; read again every 5 s and after a
         * WAIT falls short) — and from then on for good, on every master: a master deposed by a
         * failover lists no replicas but still takes writes that its demotion will forget. So with
         * a single replica, no lock is granted or renewed after a failover until a replica is back.
         * A Redis that never had a replica gets no WAIT. Needs {@code INFO} allowed by the ACL
         * (unless on a replicated Cluster), else it logs a warning and sends no WAIT.
         *
         * @param timeout how long WAIT may block
         */
        public Builder waitForReplicasWhenPresent(Duration timeout) {
            this.acks = ReplicaAcks.automatic(timeout);
            return this;
        }

        /** How long a release channel stays subscribed after its last waiter left (tests shorten it). */
        Builder releaseLinger(Duration linger) {
            this.releaseLinger = Objects.requireNonNull(linger, "releaseLinger must not be null");
            return this;
        }

        /** A driver with these options. */
        public RedisDriver build() {
            return new RedisDriver(this);
        }
    }
}
