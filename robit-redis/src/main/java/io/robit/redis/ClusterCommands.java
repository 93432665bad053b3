package io.robit.redis;

import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * {@link Commands} over a Redis Cluster connection: scripts go to the node serving the lock's hash
 * tag slot, and WAIT goes to that same node's connection. Thread-safe.
 */
final class ClusterCommands implements Commands {
    private final StatefulRedisClusterConnection<String, String> connection;
    private final RedisAdvancedClusterAsyncCommands<String, String> async;

    private ClusterCommands(StatefulRedisClusterConnection<String, String> connection) {
        this.connection = connection;
        this.async = connection.async();
    }

    /**
     * @param client the Lettuce cluster client
     * @param seeds the seed nodes, for messages only (may be empty)
     * @param owned whether closing the driver shuts the client down
     */
    static Connections connections(RedisClusterClient client, List<RedisURI> seeds, boolean owned) {
        String where = seeds.isEmpty() ? "redis cluster"
                : "redis cluster " + seeds.stream().map(uri -> uri.getHost() + ":" + uri.getPort()).collect(Collectors.joining(","));
        return new Connections(where,
                // connect() loads the topology first; connectAsync() requires it loaded already.
                () -> Connections.inBackground(() -> (Commands) new ClusterCommands(client.connect())),
                () -> Connections.inBackground(() -> (StatefulRedisPubSubConnection<String, String>) client.connectPubSub()),
                owned ? ClientShutdown.bounded(client, where) : null);
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
        // WAIT counts the writes of the connection it is sent on: the one to the key's master.
        RedisClusterNode node = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
        if (node == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("no cluster node serves the slot of key '" + key + "'"));
        }
        return connection.getConnectionAsync(node.getNodeId())
                .thenCompose(nodeConnection -> nodeConnection.async().waitForReplication(replicas, timeoutMillis));
    }

    @Override
    public CompletionStage<String> replicationInfo(String key) {
        RedisClusterNode node = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
        if (node == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("no cluster node serves the slot of key '" + key + "'"));
        }
        return connection.getConnectionAsync(node.getNodeId()).thenCompose(nodeConnection -> nodeConnection.async().info("replication"));
    }

    @Override
    public String masterOf(String key) {
        RedisClusterNode node = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
        return node == null ? "unknown" : node.getNodeId();
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
