package io.robit.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.robit.DriverException;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.LockInfo;
import io.robit.spi.Lease;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
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
 * even after a restart restores an older counter; no expiry). Both carry the hash tag {@code {ID}}, so they share one Cluster
 * slot. Releases are published on the channel {@code robit:{ID}:released}.
 *
 * <p><b>One round trip each.</b> Acquire, refresh and release are each one EVALSHA of a Lua
 * script; when the server answers NOSCRIPT (after a restart or failover) the same call falls
 * back to EVAL, which loads the script again. Refreshes that fall due within
 * {@link Builder#refreshBatchWindow} of each other share one script call.
 *
 * <p><b>Waiting.</b> {@link #awaitRelease} sleeps on one pub/sub connection per driver (shared by
 * all waiters) until the release script publishes, and wakes anyway when the holder's lease
 * would run out, because pub/sub is at-most-once.
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
    private static final long ONE_MS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Wake period when the holder's key has no expiry or the notification channel is down. */
    private static final long FALLBACK_WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_WAKE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Connections connections;
    private final ReleaseSignals signals;
    private final String keyPrefix;
    private final Duration commandTimeout;
    private final ReplicaAcks acks;
    private final String ownerPrefix;
    private final AtomicLong ownerSequence = new AtomicLong();
    private final ThreadLocal<WaitHint> waitHints = new ThreadLocal<>();
    private final RefreshBatcher batcher; // null when refreshes are sent one by one
    private volatile boolean closed;

    private RedisDriver(Builder builder) {
        this.connections = builder.connections;
        this.signals = new ReleaseSignals(connections, builder.releaseLinger);
        this.keyPrefix = builder.keyPrefix;
        this.commandTimeout = builder.commandTimeout;
        this.acks = builder.acks;
        this.batcher = builder.refreshBatchWindow.isZero() ? null
                : new RefreshBatcher(builder.refreshBatchWindow.toNanos(), builder.cluster ? SlotHash::getSlot : key -> 0,
                        (commands, keys, args) -> script(commands, Scripts.REFRESH_MANY, ScriptOutputType.MULTI, keys, args));
        byte[] random = new byte[9];
        new SecureRandom().nextBytes(random);
        // pid@host/<random>: the process robit status and list show (see LockInfo.owner), then what
        // tells this driver's holds apart from every other's.
        this.ownerPrefix = java.lang.management.ManagementFactory.getRuntimeMXBean().getName() + "/"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(random) + ":";
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
     * {@code keyPrefix=...} sets the key prefix, and {@code waitForReplicas=auto|N} with {@code waitForReplicasTimeout=MILLIS} the replica acknowledgement ({@code 0} turns it off; see {@link Builder#waitForReplicas}). Security (docs/security.md): {@code rediss} schemes
     * use TLS, verifying the server's chain and host name, with {@code cacert=PEM} (else the JVM's
     * trust store) and {@code cert=PEM&key=PEM} for a client certificate; the password may come from
     * {@code passwordFile=PATH} or {@code passwordEnv=NAME}, and then {@code user@} names the ACL user. Nothing is connected until the first call, so this
     * never fails for an unreachable server; the first call does, with a {@link DriverException}.
     *
     * @throws IllegalArgumentException the URI is malformed
     */
    public static RedisDriver open(String uri) {
        Objects.requireNonNull(uri, "uri must not be null");
        RedisLocation location = RedisLocation.parse(uri.strip());
        Builder builder;
        if (location.cluster()) {
            RedisClusterClient client = RedisClusterClient.create(location.uris());
            // Node connections open on first use, so rejecting commands while disconnected would
            // reject the first command to each node: queue them (bounded by each call's timeout).
            ClusterClientOptions.Builder options = ClusterClientOptions.builder()
                    .autoReconnect(true)
                    // After a failover, commands to the dead master fail until the topology is read
                    // again: without these, a driver that only ever got "connection refused" never
                    // learned of the promoted replica (RedisClusterFailoverIT).
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(2))
                            .refreshTriggersReconnectAttempts(2)
                            .enablePeriodicRefresh(Duration.ofSeconds(10))
                            .build())
                    .socketOptions(SocketOptions.builder().connectTimeout(DEFAULT_COMMAND_TIMEOUT).build());
            location.tls().ifPresent(tls -> options.sslOptions(tls.sslOptions()));
            client.setOptions(options.build());
            builder = new Builder(ClusterCommands.connections(client, location.uris(), true)).cluster();
        } else {
            RedisURI target = location.uris().get(0);
            RedisClient client = RedisClient.create();
            ClientOptions.Builder options = ClientOptions.builder()
                    .autoReconnect(true)
                    // Fail fast while disconnected instead of queueing: a queued acquire could run
                    // long after its caller gave up.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(SocketOptions.builder().connectTimeout(DEFAULT_COMMAND_TIMEOUT).build());
            location.tls().ifPresent(tls -> options.sslOptions(tls.sslOptions()));
            client.setOptions(options.build());
            builder = new Builder(StandaloneCommands.connections(client, target, true));
        }
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
        return new Builder(StandaloneCommands.connections(client, null, false));
    }

    /**
     * Options for a driver over a client you own, connecting to {@code uri}; the URI's host and
     * port then appear in error messages.
     */
    public static Builder builder(RedisClient client, RedisURI uri) {
        Objects.requireNonNull(client, "client must not be null");
        Objects.requireNonNull(uri, "uri must not be null");
        return new Builder(StandaloneCommands.connections(client, uri, false));
    }

    /** Options for a driver over a Cluster client you own. */
    public static Builder builder(RedisClusterClient client) {
        Objects.requireNonNull(client, "client must not be null");
        return new Builder(ClusterCommands.connections(client, List.of(), false)).cluster();
    }

    /** The key that holds the lock {@code id} (its value is the holder's owner string). */
    public String lockKey(String id) {
        validate(id);
        return keyPrefix + "{" + id + "}";
    }

    /** The key that holds the fencing counter of lock {@code id}. */
    public String counterKey(String id) {
        validate(id);
        return keyPrefix + "{" + id + "}:token";
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        validate(id);
        long ttlMillis = checkTtl(ttl);
        checkTimeout(timeout);
        checkOpen();
        String lockKey = keyPrefix + "{" + id + "}";
        String channel = lockKey + ":released";
        String[] keys = {lockKey, lockKey + ":token"};
        String owner = ownerPrefix + Long.toUnsignedString(ownerSequence.incrementAndGet(), 36);
        // Read before sending: a release message counted after this is one our failed acquire may not have seen.
        ReleaseSignals.Channel subscribed = signals.subscribed(channel);
        long generation = subscribed == null ? -1 : subscribed.generation();
        long sent = System.nanoTime();
        List<Object> answer;
        try {
            answer = call(id, "acquire", timeout,
                    c -> script(c, Scripts.ACQUIRE, ScriptOutputType.MULTI, keys, owner, Long.toString(ttlMillis)));
        } catch (DriverException | InterruptedException e) {
            // The script may still run (or have run) without us seeing the answer: give it back.
            giveBack(keys[0], owner, channel);
            throw e;
        }
        long received = System.nanoTime();
        if (((Long) answer.get(0)) == 1L) {
            RedisLease lease = new RedisLease(this, id, owner, (Long) answer.get(1), sent, ttl);
            if (acks.enabled()) {
                awaitReplicas(lease, keys[0], channel, timeout);
            }
            return Optional.of(lease);
        }
        waitHints.set(new WaitHint(channel, subscribed, generation, received, (Long) answer.get(1)));
        return Optional.empty();
    }

    private void awaitReplicas(RedisLease lease, String lockKey, String channel, Duration timeout) throws InterruptedException {
        // Not trusted until a replica has it: a failover to a replica without it would grant it again.
        try {
            call(lease.id(), "acquire", timeout.plus(acks.timeout()), c -> acks.confirm(c, lockKey));
        } catch (DriverException | InterruptedException e) {
            giveBack(lockKey, lease.owner(), channel);
            throw e;
        }
    }

    /** After a renewal that extended the key: completes with {@code code} once replicas have it. */
    private CompletionStage<Long> confirmed(Commands commands, String lockKey, Long code) {
        if (code == null || code != 1L || !acks.enabled()) {
            return CompletableFuture.completedFuture(code);
        }
        return acks.confirm(commands, lockKey).thenApply(ignored -> code);
    }

    /** Refreshes a lease: 1 extended, 0 held by another owner, -1 gone. */
    long refresh(RedisLease lease, Duration ttl, Duration timeout) throws InterruptedException {
        long ttlMillis = checkTtl(ttl);
        checkTimeout(timeout);
        checkOpen();
        String lockKey = keyPrefix + "{" + lease.id() + "}";
        if (batcher != null) {
            return call(lease.id(), "refresh", timeout, c -> batcher.refresh(c, lockKey, lease.owner(), ttlMillis)
                    .thenCompose(code -> confirmed(c, lockKey, code)));
        }
        return call(lease.id(), "refresh", timeout,
                c -> this.<Long>script(c, Scripts.REFRESH, ScriptOutputType.INTEGER, new String[] {lockKey}, lease.owner(), Long.toString(ttlMillis))
                        .thenCompose(code -> confirmed(c, lockKey, code)));
    }

    /** {@link #refresh} without blocking; completes with the code, or with a {@link DriverException}. */
    CompletableFuture<Long> refreshAsync(RedisLease lease, Duration ttl, Duration timeout) {
        long ttlMillis = checkTtl(ttl);
        checkTimeout(timeout);
        checkOpen();
        String lockKey = keyPrefix + "{" + lease.id() + "}";
        CompletableFuture<Long> answer = connections.commands().thenCompose(c -> (batcher != null
                ? batcher.refresh(c, lockKey, lease.owner(), ttlMillis)
                : this.<Long>script(c, Scripts.REFRESH, ScriptOutputType.INTEGER, new String[] {lockKey}, lease.owner(), Long.toString(ttlMillis)))
                        .thenCompose(code -> confirmed(c, lockKey, code)).toCompletableFuture());
        return answer.orTimeout(saturatedNanos(timeout), TimeUnit.NANOSECONDS).handle((code, error) -> {
            if (error == null) {
                return code;
            }
            Throwable cause = unwrap(error);
            throw failure(lease.id(), "refresh", cause instanceof TimeoutException
                    ? new RedisCommandTimeoutException("no answer within " + timeout) : cause);
        });
    }

    @Override
    public void release(Lease lease) {
        if (!(lease instanceof RedisLease redis) || redis.driver() != this) {
            LOG.warn("Ignoring release of {}: it was not acquired through this driver", lease);
            return;
        }
        String lockKey = keyPrefix + "{" + redis.id() + "}";
        if (closed) {
            LOG.debug("Release of lock '{}' after the driver was closed: the key expires by its TTL", redis.id());
            return;
        }
        if (redis.releaseWithoutWaiting()) {
            // After a loss, or while renewals fail: Redis may be unreachable, and waiting for it would
            // hold a thread per lock. The owner-checked delete is sent without waiting; if it never
            // arrives, the key expires by its TTL (it is no longer renewed).
            giveBack(lockKey, redis.owner(), lockKey + ":released");
            return;
        }
        try {
            Long deleted = call(redis.id(), "release", commandTimeout,
                    c -> script(c, Scripts.RELEASE, ScriptOutputType.INTEGER, new String[] {lockKey}, redis.owner(), lockKey + ":released"));
            if (deleted == 0) {
                LOG.debug("Release of lock '{}': the key was no longer ours (expired or taken over)", redis.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            giveBack(lockKey, redis.owner(), lockKey + ":released");
            LOG.warn("Release of lock '{}' was interrupted; the key expires by its TTL if the release did not reach Redis", redis.id());
        } catch (RuntimeException e) {
            LOG.warn("Release of lock '{}' failed; the key expires by its TTL: {}", redis.id(), e.getMessage());
        }
    }

    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        WaitHint hint = waitHints.get();
        waitHints.remove();
        long now = System.nanoTime();
        long deadline = now + saturatedNanos(maxWait);
        if (maxWait.isNegative() || maxWait.isZero()) {
            return;
        }
        validate(id);
        checkOpen();
        String lockKey = keyPrefix + "{" + id + "}";
        String channelName = lockKey + ":released";
        if (hint != null && !hint.channel().equals(channelName)) {
            hint = null;
        }
        ReleaseSignals.Channel channel = signals.join(channelName);
        try {
            long seen;
            long wakeAt;
            if (hint != null && hint.subscribed() == channel) {
                // The channel was subscribed before the failed acquire was sent: nothing was missed.
                seen = hint.generation();
                wakeAt = hint.wakeAt();
            } else {
                // Subscribe first, then look at the key: a release after the look is then seen.
                long fallback = hint != null ? hint.wakeAt() : now + FALLBACK_WAKE_NANOS;
                if (!channel.awaitSubscribed(Math.min(deadline, now + saturatedNanos(commandTimeout)))) {
                    sleepUntil(Math.min(deadline, fallback));
                    return;
                }
                seen = channel.generation();
                long pttl;
                try {
                    Duration probeTimeout = Duration.ofNanos(Math.max(ONE_MS, Math.min(deadline - System.nanoTime(), saturatedNanos(commandTimeout))));
                    pttl = call(id, "wait", probeTimeout, c -> c.pttl(lockKey));
                } catch (DriverException e) {
                    sleepUntil(Math.min(deadline, fallback));
                    return;
                }
                if (pttl == -2) {
                    return; // free already
                }
                wakeAt = WaitHint.wakeAt(System.nanoTime(), pttl);
            }
            channel.awaitAfter(seen, Math.min(deadline, wakeAt));
        } finally {
            signals.leave(channel);
        }
    }

    /**
     * Waits like {@link #awaitRelease} without parking a thread: the release message completes the
     * future on Lettuce's I/O thread, and a timer wakes it at the holder's expiry or {@code maxWait}.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        WaitHint hint = waitHints.get();
        waitHints.remove();
        long now = System.nanoTime();
        long deadline = now + saturatedNanos(maxWait);
        if (maxWait.isNegative() || maxWait.isZero()) {
            return CompletableFuture.completedFuture(null);
        }
        validate(id);
        checkOpen();
        String lockKey = keyPrefix + "{" + id + "}";
        String channelName = lockKey + ":released";
        WaitHint usable = hint != null && hint.channel().equals(channelName) ? hint : null;
        ReleaseSignals.Channel channel = signals.join(channelName);
        CompletableFuture<Void> woken = new CompletableFuture<>();
        woken.whenComplete((ignored, error) -> signals.leave(channel));
        if (usable != null && usable.subscribed() == channel) {
            // Subscribed before the failed acquire was sent: nothing was missed.
            wakeAt(woken, Math.min(deadline, usable.wakeAt()));
            channel.completeAfter(usable.generation(), woken);
            return woken;
        }
        // Subscribe first, then look at the key: a release after the look is then seen.
        long fallback = Math.min(deadline, usable != null ? usable.wakeAt() : now + FALLBACK_WAKE_NANOS);
        CompletableFuture<?> subscribing = channel.subscription();
        if (subscribing == null) {
            wakeAt(woken, fallback);
            return woken;
        }
        CompletableFuture<Void> looked = new CompletableFuture<>();
        // A subscribe or probe that does not answer within the command timeout: try again then.
        CompletableFuture<Void> lookTimeout = new CompletableFuture<>();
        looked.whenComplete((ignored, error) -> lookTimeout.cancel(false));
        woken.whenComplete((ignored, error) -> lookTimeout.cancel(false));
        lookTimeout.thenRun(() -> woken.complete(null));
        Wakeups.at(lookTimeout, Math.min(deadline, now + saturatedNanos(commandTimeout)));
        subscribing.whenComplete((subscribed, subscribeError) -> {
            if (subscribeError != null) {
                looked.complete(null);
                wakeAt(woken, fallback);
                return;
            }
            long seen = channel.generation();
            connections.commands()
                    .thenCompose(c -> c.pttl(lockKey))
                    .whenComplete((pttl, probeError) -> {
                        looked.complete(null);
                        if (probeError != null || pttl == null) {
                            wakeAt(woken, fallback);
                        } else if (pttl == -2) {
                            woken.complete(null); // free already
                        } else {
                            wakeAt(woken, Math.min(deadline, WaitHint.wakeAt(System.nanoTime(), pttl)));
                            channel.completeAfter(seen, woken);
                        }
                    });
        });
        return woken;
    }

    private static void wakeAt(CompletableFuture<Void> woken, long atNanos) {
        Wakeups.at(woken, atNanos);
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
        checkOpen();
        String lockKey = keyPrefix + "{" + id + "}";
        List<Object> answer;
        try {
            answer = call(id, "inspect", commandTimeout,
                    c -> script(c, Scripts.INSPECT, ScriptOutputType.MULTI, new String[] {lockKey, lockKey + ":token"}));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(id, "inspect", e);
        }
        Optional<String> owner = Optional.ofNullable(answer.get(0)).map(Object::toString);
        long pttl = (Long) answer.get(1);
        Object counter = answer.get(2);
        if (owner.isEmpty() && counter == null) {
            return Optional.empty();
        }
        long token = counter == null ? 0 : Long.parseLong(counter.toString());
        Optional<Duration> expiresIn = owner.isPresent() && pttl >= 0 ? Optional.of(Duration.ofMillis(pttl)) : Optional.empty();
        return Optional.of(new LockInfo(id, owner, token, Optional.empty(), expiresIn));
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
        checkOpen();
        Commands commands;
        try {
            commands = connections.commands().get(saturatedNanos(commandTimeout), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(connections.where() + ": list of locks failed: interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new DriverException(connections.where() + ": list of locks failed: " + unwrap(e), unwrap(e));
        }
        String suffix = "}:token";
        List<String> keys;
        try {
            keys = commands.scan(globEscape(keyPrefix) + "{*" + suffix);
        } catch (RuntimeException e) {
            throw new DriverException(connections.where() + ": list of locks failed: " + e.getMessage(), e);
        }
        return keys.stream()
                .map(key -> key.substring(keyPrefix.length() + 1, key.length() - suffix.length()))
                .sorted()
                .map(this::inspect)
                .flatMap(Optional::stream)
                .toList();
    }

    private static String globEscape(String text) {
        return text.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    /**
     * Rejects null, empty, too long (over {@value #MAX_ID_BYTES} UTF-8 bytes) and not
     * UTF-8-representable (unpaired surrogate) lock names.
     */
    @Override
    public void validate(String id) {
        Objects.requireNonNull(id, "lock id must not be null");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("lock id must not be empty");
        }
        int bytes = 0;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("lock id has an unpaired surrogate at index " + i + " and cannot be stored in Redis as UTF-8: '"
                        + abbreviate(id) + "'");
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        if (bytes > MAX_ID_BYTES) {
            throw new IllegalArgumentException("lock id must be at most " + MAX_ID_BYTES + " bytes in UTF-8, got " + bytes + " bytes: '"
                    + abbreviate(id) + "'");
        }
    }

    /** Closes the connections this driver opened, and the client too when {@link #open} made it. Idempotent. */
    @Override
    public void close() {
        closed = true;
        signals.close();
        connections.close();
    }

    @Override
    public String toString() {
        return "RedisDriver[" + connections.where() + ", prefix '" + keyPrefix + "', " + acks + "]";
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this RedisDriver (" + connections.where() + ") is closed");
        }
    }

    private <T> CompletionStage<T> script(Commands commands, Scripts script, ScriptOutputType type, String[] keys, String... args) {
        return commands.<T>evalsha(script.sha(), type, keys, args)
                .exceptionallyCompose(e -> unwrap(e) instanceof RedisNoScriptException
                        ? commands.<T>eval(script.body(), type, keys, args)
                        : CompletableFuture.failedStage(e));
    }

    /** Sends one request and waits for its answer, within {@code timeout} in all (connecting included). */
    private <T> T call(String id, String operation, Duration timeout, Function<Commands, CompletionStage<T>> request)
            throws InterruptedException {
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        CompletableFuture<Commands> connected = connections.commands();
        Duration connectTimeout = timeout;
        if (!connected.isDone()) {
            // The first connection (event loops, handshake) may take longer than one request is
            // allowed; the request then gets its own full timeout.
            connectTimeout = timeout.compareTo(commandTimeout) >= 0 ? timeout : commandTimeout;
            deadline = Long.MAX_VALUE;
        }
        Commands commands;
        try {
            commands = connected.get(saturatedNanos(connectTimeout), TimeUnit.NANOSECONDS);
            if (deadline == Long.MAX_VALUE) {
                deadline = System.nanoTime() + saturatedNanos(timeout);
            }
        } catch (TimeoutException e) {
            throw failure(id, operation, new RedisConnectionException("not connected within " + connectTimeout));
        } catch (ExecutionException e) {
            throw failure(id, operation, unwrap(e));
        }
        CompletableFuture<T> answer;
        try {
            answer = request.apply(commands).toCompletableFuture();
        } catch (RuntimeException e) {
            throw failure(id, operation, e);
        }
        try {
            return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw failure(id, operation, new RedisCommandTimeoutException("no answer within " + timeout));
        } catch (ExecutionException e) {
            throw failure(id, operation, unwrap(e));
        }
    }

    /** Best effort, answer not awaited: deletes the key if {@code owner} still holds it. */
    private void giveBack(String lockKey, String owner, String channel) {
        CompletableFuture<Commands> commands = connections.commands();
        if (commands.isDone() && !commands.isCompletedExceptionally()) {
            try {
                script(commands.join(), Scripts.RELEASE, ScriptOutputType.INTEGER, new String[] {lockKey}, owner, channel);
            } catch (RuntimeException e) {
                LOG.debug("Give-back of {} not sent; the key expires by its TTL: {}", lockKey, e.toString());
            }
        }
    }

    private DriverException failure(String id, String operation, Throwable cause) {
        return new DriverException(connections.where(), id, operation, readable(cause));
    }

    /**
     * A connection failure as a user can act on it: with the server's own answer when it gave one
     * (NOAUTH, WRONGPASS, NOPERM: Lettuce hides it under "Unable to connect"), and the address
     * without Lettuce's {@code /<unresolved>} marker.
     */
    static Throwable readable(Throwable cause) {
        if (!(cause instanceof RedisConnectionException) || cause.getMessage() == null) {
            return cause;
        }
        String message = cause.getMessage().replace("/<unresolved>", "");
        for (Throwable inner = cause.getCause(); inner != null && inner != inner.getCause(); inner = inner.getCause()) {
            String answer = inner.getMessage();
            if (answer != null && answer.matches("(?s)(NOAUTH|WRONGPASS|NOPERM|ERR|WRONGTYPE|LOADING|MASTERDOWN)\\b.*")) {
                message = message + ": the server answered " + answer.strip();
                break;
            }
        }
        return message.equals(cause.getMessage()) ? cause : new RedisConnectionException(message, cause);
    }

    private static Throwable unwrap(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static long checkTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms for Redis, got " + ttl);
        }
        return ttl.toMillis();
    }

    private static void checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return Math.min(duration.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE / 4 : Long.MAX_VALUE / 4;
        }
    }

    private static String abbreviate(String id) {
        return id.length() <= 40 ? id : id.substring(0, 40) + "...";
    }

    /**
     * What a failed acquire learned, for the {@link #awaitRelease} that follows it on the same
     * thread: the channel generation before it was sent, and the holder's remaining TTL.
     */
    private record WaitHint(String channel, ReleaseSignals.Channel subscribed, long generation, long receivedNanos, long pttl) {
        long wakeAt() {
            return wakeAt(receivedNanos, pttl);
        }

        /** Just after the holder's key expires; soon when it has no expiry (pttl -1) or is gone (-2). */
        static long wakeAt(long from, long pttl) {
            if (pttl >= 0) {
                return from + TimeUnit.MILLISECONDS.toNanos(pttl) + ONE_MS;
            }
            return from + (pttl == -1 ? MAX_WAKE_NANOS : 0);
        }
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

        private Builder cluster() {
            this.cluster = true;
            return this;
        }

        /**
         * How long a refresh waits for others to share its script call (default 2 ms; zero sends
         * each refresh alone). With many held locks this turns one command per renewal into one per
         * window, at the price of up to this much more latency per renewal; on Cluster only the
         * locks of one hash slot share a call.
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
         * The default: like {@link #waitForReplicas} with one replica, whenever the master has online
         * replicas ({@code INFO replication}, read again every 5 s and after a WAIT falls short);
         * without replicas, no WAIT is sent. Needs {@code INFO} allowed by the ACL, else it logs a
         * warning and sends no WAIT.
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
