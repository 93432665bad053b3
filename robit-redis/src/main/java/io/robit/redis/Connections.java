package io.robit.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Where a driver's Redis is and how to reach it: connects lazily on first use, keeps one command
 * connection, reconnects after a failed connect on the next use, and closes what it opened.
 * Whether the client itself is shut down on close depends on who made it. Thread-safe.
 */
final class Connections implements AutoCloseable {
    private final String where;
    private final Supplier<CompletableFuture<Commands>> connector;
    private final Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, String>>> pubSubConnector;
    private final Runnable shutdown;
    private final boolean ownsClient;
    private final ReentrantLock lock = new ReentrantLock();
    private CompletableFuture<Commands> commands; // guarded by lock
    private boolean closed; // guarded by lock

    /**
     * @param where the backend and its address for messages, e.g. {@code "redis 127.0.0.1:6379"}
     * @param connector opens the command connection
     * @param pubSubConnector opens a pub/sub connection
     * @param shutdown shuts the client down, or {@code null} when the client is the caller's
     */
    Connections(String where, Supplier<CompletableFuture<Commands>> connector,
            Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, String>>> pubSubConnector, Runnable shutdown) {
        this.ownsClient = shutdown != null;
        this.where = where;
        this.connector = connector;
        this.pubSubConnector = pubSubConnector;
        this.shutdown = shutdown;
    }

    /**
     * Makes and owns a client for {@code location}: connections reconnect by themselves, and connect
     * within {@code connectTimeout}. Nothing is connected until the first use.
     */
    static Connections open(RedisUri location, Duration connectTimeout) {
        SocketOptions socket = SocketOptions.builder().connectTimeout(connectTimeout).build();
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
                    .socketOptions(socket);
            location.tls().ifPresent(tls -> options.sslOptions(tls.sslOptions()));
            client.setOptions(options.build());
            return cluster(client, location.uris(), true);
        }
        RedisClient client = RedisClient.create();
        ClientOptions.Builder options = ClientOptions.builder()
                .autoReconnect(true)
                // Fail fast while disconnected instead of queueing: a queued acquire could run
                // long after its caller gave up.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(socket);
        location.tls().ifPresent(tls -> options.sslOptions(tls.sslOptions()));
        client.setOptions(options.build());
        return standalone(client, location.uris().get(0), true);
    }

    /**
     * @param client the Lettuce client
     * @param uri where to connect, or {@code null} for the client's own default URI
     * @param owned whether closing the driver shuts the client down
     */
    static Connections standalone(RedisClient client, RedisURI uri, boolean owned) {
        Supplier<CompletableFuture<Commands>> connector = uri == null
                ? () -> inBackground(() -> Commands.standalone(client.connect()))
                : () -> client.connectAsync(StringCodec.UTF8, uri).thenApply(Commands::standalone).toCompletableFuture();
        Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, String>>> pubSub = uri == null
                ? () -> inBackground(client::connectPubSub)
                : () -> client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
        return new Connections(describe(uri), connector, pubSub, owned ? ClientShutdown.bounded(client, describe(uri)) : null);
    }

    /**
     * @param client the Lettuce cluster client
     * @param seeds the seed nodes, for messages only (may be empty)
     * @param owned whether closing the driver shuts the client down
     */
    static Connections cluster(RedisClusterClient client, List<RedisURI> seeds, boolean owned) {
        String where = seeds.isEmpty() ? "redis cluster"
                : "redis cluster " + seeds.stream().map(uri -> uri.getHost() + ":" + uri.getPort()).collect(Collectors.joining(","));
        return new Connections(where,
                // connect() loads the topology first; connectAsync() requires it loaded already.
                () -> inBackground(() -> Commands.cluster(client.connect())),
                () -> inBackground(() -> (StatefulRedisPubSubConnection<String, String>) client.connectPubSub()),
                owned ? ClientShutdown.bounded(client, where) : null);
    }

    /** The backend and address for messages, e.g. {@code "redis 127.0.0.1:6379"}. */
    static String describe(RedisURI uri) {
        if (uri == null) {
            return "redis";
        }
        if (uri.getSentinelMasterId() != null) {
            StringBuilder where = new StringBuilder("redis sentinel '").append(uri.getSentinelMasterId()).append("' via ");
            for (int i = 0; i < uri.getSentinels().size(); i++) {
                RedisURI sentinel = uri.getSentinels().get(i);
                where.append(i == 0 ? "" : ",").append(sentinel.getHost()).append(':').append(sentinel.getPort());
            }
            return where.toString();
        }
        if (uri.getSocket() != null) {
            return "redis " + uri.getSocket();
        }
        return "redis " + uri.getHost() + ":" + uri.getPort();
    }

    /** Whether closing shuts the client down (and with it every connection it made). */
    boolean ownsClient() {
        return ownsClient;
    }

    String where() {
        return where;
    }

    /** The command connection, connecting if there is none yet or the last attempt failed. */
    CompletableFuture<Commands> commands() {
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the Redis driver is closed"));
            }
            if (commands == null || commands.isCompletedExceptionally() || commands.isCancelled()) {
                commands = start(connector);
            }
            return commands;
        } finally {
            lock.unlock();
        }
    }

    /** A new pub/sub connection; the caller closes it. */
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> openPubSub() {
        return start(pubSubConnector);
    }

    /**
     * Runs a blocking connect on a thread of its own, so the caller's timeout stays in force. For
     * the connects Lettuce offers only blockingly (a client's default URI; a Cluster client, whose
     * topology must be loaded first).
     */
    static <T> CompletableFuture<T> inBackground(Supplier<T> connect) {
        return CompletableFuture.supplyAsync(connect, task -> {
            Thread thread = new Thread(task, "robit-redis-connect");
            thread.setDaemon(true);
            thread.start();
        });
    }

    private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> connector) {
        try {
            return connector.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        CompletableFuture<Commands> open;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            open = commands;
        } finally {
            lock.unlock();
        }
        if (ownsClient) {
            shutdown.run();
        } else if (open != null) {
            // A connect still under way is closed when it completes.
            open.thenAccept(Commands::close);
        }
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
}
