package io.robit.redis;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.SlotHash;
import io.robit.DriverException;
import io.robit.spi.LockInfo;
import io.robit.spi.support.Arguments;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis side of the driver: the keys of a lock, and the scripts and commands that acquire,
 * refresh, release, probe and read it ({@link Scripts}), each bounded by a timeout, with the replica
 * acknowledgement after each write that needs one. A failure becomes a {@link DriverException}
 * naming the server, the lock and the operation. Knows nothing of waiting. Thread-safe.
 */
final class RedisStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);

    /**
     * The keys and the release channel of one lock; all carry the hash tag {@code {id}}. With them,
     * encoded once, the same as the scripts' arguments ({@link #raw}).
     */
    record Keys(String id, String lock, String counter, String channel, String waiters, Raw raw) {
        Keys(String id, String lock, String counter, String channel, String waiters) {
            this(id, lock, counter, channel, waiters, new Raw(utf8(lock), utf8(counter), utf8(channel), utf8(waiters)));
        }
    }

    /** A lock's keys and channel in UTF-8 (never modified). */
    record Raw(byte[] lock, byte[] counter, byte[] channel, byte[] waiters) {
    }

    private static final byte[] WAITS = {'1'};
    private static final byte[] DOES_NOT_WAIT = {'0'};

    /**
     * What one acquire got: the lease, or (when another party holds the lock) the holder's remaining
     * TTL in ms ({@code -1}: no expiry) and when the answer arrived ({@link System#nanoTime}).
     */
    record Attempt(RedisLease lease, long pttl, long receivedNanos) {
    }

    private final Connections connections;
    private final String keyPrefix;
    private final Duration commandTimeout;
    private final ReplicaAcks acks;
    private final RefreshBatcher batcher; // null when refreshes are sent one by one
    private final RedisSessions sessions;
    private final Owners owners = new Owners();
    private volatile boolean closed;

    RedisStore(Connections connections, String keyPrefix, Duration commandTimeout, ReplicaAcks acks, Duration refreshBatchWindow,
            boolean cluster) {
        this.connections = connections;
        this.keyPrefix = keyPrefix;
        this.commandTimeout = commandTimeout;
        this.acks = acks;
        this.batcher = refreshBatchWindow.isZero() ? null
                : new RefreshBatcher(refreshBatchWindow.toNanos(), cluster ? SlotHash::getSlot : key -> 0,
                        (commands, keys, args) -> script(commands, Scripts.REFRESH_MANY, ScriptOutputType.MULTI, keys, args));
        this.sessions = new RedisSessions(this, cluster);
    }

    Keys keys(String id) {
        String lock = keyPrefix + "{" + id + "}";
        return new Keys(id, lock, lock + ":token", lock + ":released", lock + ":waiters");
    }

    Duration commandTimeout() {
        return commandTimeout;
    }

    String where() {
        return connections.where();
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this RedisDriver (" + connections.where() + ") is closed");
        }
    }

    /**
     * One acquire attempt: on a grant, trusted only once the replicas it needs acknowledged it. When
     * it fails and the caller {@code waits}, the same script registers it for the release notice.
     */
    Attempt acquire(Keys keys, Duration ttl, Duration timeout, boolean waits) throws InterruptedException {
        String owner = owners.next();
        byte[] ownerRaw = utf8(owner);
        Raw raw = keys.raw();
        byte[][] scriptKeys = {raw.lock(), raw.counter(), raw.waiters()};
        byte[] ttlRaw = utf8(Long.toString(ttl.toMillis()));
        long sent = System.nanoTime();
        List<Object> answer;
        try {
            answer = call(keys.id(), "acquire", timeout, c -> script(c, Scripts.ACQUIRE, ScriptOutputType.MULTI,
                    scriptKeys, ownerRaw, ttlRaw, waits ? WAITS : DOES_NOT_WAIT));
        } catch (DriverException | InterruptedException e) {
            // The script may still run (or have run) without us seeing the answer: give it back.
            giveBack(keys, ownerRaw);
            throw e;
        }
        long received = System.nanoTime();
        if ((Long) answer.get(0) != 1L) {
            return new Attempt(null, (Long) answer.get(1), received);
        }
        if (acks.enabled() && !acks.knownUnneeded(connections.commands().getNow(null), keys.lock())) {
            // Not trusted until a replica has it: a failover to a replica without it would grant it again.
            try {
                call(keys.id(), "acquire", timeout.plus(acks.timeout()), c -> acks.confirm(c, keys.lock()));
            } catch (DriverException | InterruptedException e) {
                giveBack(keys, ownerRaw);
                throw e;
            }
        }
        RedisSession session = sessions.of(ttl, keys.lock());
        RedisLease lease = new RedisLease(this, keys, owner, ownerRaw, (Long) answer.get(1), sent, ttl, session);
        session.join(lease);
        return new Attempt(lease, 0, received);
    }

    /** Refreshes a lease: 1 extended, 0 held by another owner, -1 gone. */
    long refresh(RedisLease lease, Duration ttl, Duration timeout) throws InterruptedException {
        checkTtl(ttl);
        Arguments.positive("timeout", timeout);
        checkOpen();
        return call(lease.id(), "refresh", timeout, c -> refreshRequest(c, lease, ttl));
    }

    private CompletionStage<Long> refreshRequest(Commands commands, RedisLease lease, Duration ttl) {
        long ttlMillis = ttl.toMillis();
        CompletionStage<Long> code = batcher != null ? batcher.refresh(commands, lease.key(), lease.owner(), ttlMillis)
                : script(commands, Scripts.REFRESH, ScriptOutputType.INTEGER, new byte[][] {lease.keys().raw().lock()}, lease.ownerRaw(),
                        utf8(Long.toString(ttlMillis)));
        // A renewal is trusted only once the replicas it needs have the extended key.
        return code.thenCompose(answer -> answer == null || answer != 1L ? CompletableFuture.completedFuture(answer)
                : confirmed(commands, lease.key()).thenApply(ignored -> answer));
    }

    /** Completes once the replicas the writes so far on {@code commands} need have them ({@link ReplicaAcks}). */
    CompletionStage<Void> confirmed(Commands commands, String key) {
        return acks.enabled() ? acks.confirm(commands, key) : CompletableFuture.completedFuture(null);
    }

    /** Deletes the lease's key if it is still the lease's, and tells waiters; never throws. */
    void release(RedisLease lease) {
        lease.session().leave(lease);
        Keys keys = lease.keys();
        if (closed) {
            LOG.debug("Release of lock '{}' after the driver was closed: the key expires by its TTL", lease.id());
            return;
        }
        if (lease.releaseWithoutWaiting()) {
            // After a loss, or while renewals fail: Redis may be unreachable, and waiting for it would
            // hold a thread per lock. The owner-checked delete is sent without waiting; if it never
            // arrives, the key expires by its TTL (it is no longer renewed).
            giveBack(keys, lease.ownerRaw());
            return;
        }
        try {
            Long deleted = call(lease.id(), "release", commandTimeout, c -> releaseRequest(c, keys, lease.ownerRaw()));
            if (deleted == 0) {
                LOG.debug("Release of lock '{}': the key was no longer ours (expired or taken over)", lease.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            giveBack(keys, lease.ownerRaw());
            LOG.warn("Release of lock '{}' was interrupted; the key expires by its TTL if the release did not reach Redis", lease.id());
        } catch (RuntimeException e) {
            LOG.warn("Release of lock '{}' failed; the key expires by its TTL: {}", lease.id(), e.getMessage());
        }
    }

    private CompletionStage<Long> releaseRequest(Commands commands, Keys keys, byte[] owner) {
        Raw raw = keys.raw();
        return script(commands, Scripts.RELEASE, ScriptOutputType.INTEGER, new byte[][] {raw.lock(), raw.waiters()}, owner, raw.channel());
    }

    /** Best effort, answer not awaited: deletes the key if {@code owner} (UTF-8) still holds it. */
    private void giveBack(Keys keys, byte[] owner) {
        CompletableFuture<Commands> commands = connections.commands();
        if (commands.isDone() && !commands.isCompletedExceptionally()) {
            try {
                releaseRequest(commands.join(), keys, owner);
            } catch (RuntimeException e) {
                LOG.debug("Give-back of {} not sent; the key expires by its TTL: {}", keys.lock(), e.toString());
            }
        }
    }

    /**
     * For a waiter already subscribed: the lock key's remaining TTL in ms (-2 when free, -1 when held
     * without expiry), registering the waiter for the release notice while it is held.
     */
    long probe(Keys keys, Duration timeout) throws InterruptedException {
        return call(keys.id(), "wait", timeout, c -> probeRequest(c, keys));
    }

    /** {@link #probe} without blocking (no timeout of its own: the caller bounds its wait). */
    CompletableFuture<Long> probeAsync(Keys keys) {
        return connections.commands().thenCompose(c -> probeRequest(c, keys).toCompletableFuture());
    }

    private CompletionStage<Long> probeRequest(Commands commands, Keys keys) {
        return script(commands, Scripts.PROBE, ScriptOutputType.INTEGER, new byte[][] {keys.raw().lock(), keys.raw().waiters()});
    }

    /** What Redis holds for the lock: empty when neither its key nor its counter exists. */
    Optional<LockInfo> inspect(Keys keys) {
        List<Object> answer;
        try {
            answer = call(keys.id(), "inspect", commandTimeout,
                    c -> script(c, Scripts.INSPECT, ScriptOutputType.MULTI, new byte[][] {keys.raw().lock(), keys.raw().counter()}));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(keys.id(), "inspect", e);
        }
        Optional<String> owner = Optional.ofNullable(answer.get(0)).map(Object::toString);
        long pttl = (Long) answer.get(1);
        Object counter = answer.get(2);
        if (owner.isEmpty() && counter == null) {
            return Optional.empty();
        }
        long token = counter == null ? 0 : Long.parseLong(counter.toString());
        Optional<Duration> expiresIn = owner.isPresent() && pttl >= 0 ? Optional.of(Duration.ofMillis(pttl)) : Optional.empty();
        return Optional.of(new LockInfo(keys.id(), owner, token, Optional.empty(), expiresIn));
    }

    /** The names of every lock whose fencing counter exists, unordered. */
    List<String> lockNames() {
        String operation = "list of locks failed";
        Commands commands;
        try {
            commands = connections.commands().get(saturatedNanos(commandTimeout), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(where() + ": " + operation + ": interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new DriverException(where() + ": " + operation + ": " + unwrap(e), unwrap(e));
        }
        String suffix = "}:token";
        try {
            return commands.scan(keyPrefix.replaceAll("([*?\\[\\]\\\\])", "\\\\$1") + "{*" + suffix).stream()
                    .map(key -> key.substring(keyPrefix.length() + 1, key.length() - suffix.length()))
                    .toList();
        } catch (RuntimeException e) {
            throw new DriverException(where() + ": " + operation + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code script} by its digest, and by its body when the server does not have it (after a restart or failover). */
    <T> CompletionStage<T> script(Commands commands, Scripts script, ScriptOutputType type, byte[][] keys, byte[]... args) {
        return commands.<T>evalsha(script, type, keys, args)
                .exceptionallyCompose(e -> unwrap(e) instanceof RedisNoScriptException
                        ? commands.<T>eval(script, type, keys, args)
                        : CompletableFuture.failedStage(e));
    }

    /** {@link #script} with keys and arguments as strings. */
    <T> CompletionStage<T> script(Commands commands, Scripts script, ScriptOutputType type, String[] keys, String... args) {
        byte[][] rawKeys = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            rawKeys[i] = utf8(keys[i]);
        }
        byte[][] rawArgs = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            rawArgs[i] = utf8(args[i]);
        }
        return script(commands, script, type, rawKeys, rawArgs);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Sends one request without blocking; fails with a {@link DriverException} after {@code timeout} (connecting included). */
    <T> CompletableFuture<T> callAsync(String id, String operation, Duration timeout, Function<Commands, CompletionStage<T>> request) {
        return connections.commands().thenCompose(c -> request.apply(c).toCompletableFuture())
                .orTimeout(saturatedNanos(timeout), TimeUnit.NANOSECONDS).handle((value, error) -> {
                    if (error == null) {
                        return value;
                    }
                    Throwable cause = unwrap(error);
                    throw failure(id, operation, cause instanceof TimeoutException ? new RedisCommandTimeoutException("no answer within " + timeout) : cause);
                });
    }

    /** Sends one request and waits for its answer, within {@code timeout} in all (connecting included). */
    <T> T call(String id, String operation, Duration timeout, Function<Commands, CompletionStage<T>> request)
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

    DriverException failure(String id, String operation, Throwable cause) {
        return new DriverException(connections.where(), id, operation, Connections.readable(cause));
    }

    static Throwable unwrap(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Redis keeps expiries in ms: a ttl under 1 ms cannot be stored. */
    static void checkTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms for Redis, got " + ttl);
        }
    }

    static long saturatedNanos(Duration duration) {
        try {
            return Math.min(duration.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE / 4 : Long.MAX_VALUE / 4;
        }
    }

    /** Closes the connections, and the client too when the store owns it. Idempotent. */
    @Override
    public void close() {
        closed = true;
        connections.close();
    }

    @Override
    public String toString() {
        return connections.where() + ", prefix '" + keyPrefix + "', " + acks;
    }
}
