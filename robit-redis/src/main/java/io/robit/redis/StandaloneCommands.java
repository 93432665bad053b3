package io.robit.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** {@link Commands} over one connection to a standalone Redis or the master a Sentinel names. Thread-safe. */
final class StandaloneCommands implements Commands {
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> async;

    private StandaloneCommands(StatefulRedisConnection<String, String> connection) {
        this.connection = connection;
        this.async = connection.async();
    }

    /**
     * @param client the Lettuce client
     * @param uri where to connect, or {@code null} for the client's own default URI
     * @param owned whether closing the driver shuts the client down
     */
    static Connections connections(RedisClient client, RedisURI uri, boolean owned) {
        Supplier<CompletableFuture<Commands>> connector = uri == null
                ? () -> Connections.inBackground(() -> (Commands) new StandaloneCommands(client.connect()))
                : () -> client.connectAsync(StringCodec.UTF8, uri).<Commands>thenApply(StandaloneCommands::new).toCompletableFuture();
        Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, String>>> pubSub = uri == null
                ? () -> Connections.inBackground(client::connectPubSub)
                : () -> client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
        return new Connections(describe(uri), connector, pubSub, owned ? ClientShutdown.bounded(client, describe(uri)) : null);
    }

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

    @Override
    public <T> CompletionStage<T> evalsha(String sha, ScriptOutputType type, String[] keys, String... args) {
        return async.evalsha(sha, type, keys, args);
    }

    @Override
    public <T> CompletionStage<T> eval(String script, ScriptOutputType type, String[] keys, String... args) {
        return async.eval(script, type, keys, args);
    }

    @Override
    public CompletionStage<Long> pttl(String key) {
        return async.pttl(key);
    }

    @Override
    public CompletionStage<Long> waitForReplicas(String key, int replicas, long timeoutMillis) {
        return async.waitForReplication(replicas, timeoutMillis);
    }

    @Override
    public CompletionStage<String> replicationInfo(String key) {
        return async.info("replication");
    }

    @Override
    public String masterOf(String key) {
        return "master";
    }

    @Override
    public List<String> scan(String pattern) {
        List<String> keys = new ArrayList<>();
        ScanIterator.scan(connection.sync(), ScanArgs.Builder.matches(pattern).limit(1000)).forEachRemaining(keys::add);
        return keys;
    }

    @Override
    public void close() {
        connection.closeAsync();
    }
}
