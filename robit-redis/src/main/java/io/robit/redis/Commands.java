package io.robit.redis;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisKeyCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The few Redis commands the driver sends, over one connection of either kind (standalone or
 * Sentinel-found master, or Cluster), through Lettuce's interfaces both kinds share. What differs
 * is where {@code WAIT} and {@code INFO replication} go ({@link Masters}): {@code WAIT} counts the
 * writes of the connection it is sent on, so on Cluster it must go to the key's master node.
 * Thread-safe: one connection is shared by every caller.
 */
final class Commands implements AutoCloseable {

    /** Which connection serves the master of a key, for replica acknowledgements. */
    interface Masters {
        /** The connection to the master that serves {@code key}. */
        CompletionStage<RedisAsyncCommands<String, String>> of(String key);

        /** A name of that master (for caches keyed by master; constant when there is one). */
        String nameOf(String key);

        /** Whether the topology the client knows lists a replica (a Cluster's; false when there is none). */
        boolean topologyHasReplicas();
    }

    private final StatefulConnection<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> async;
    private final RedisKeyCommands<String, String> sync;
    private final Masters masters;

    private Commands(StatefulConnection<String, String> connection, RedisClusterAsyncCommands<String, String> async,
            RedisKeyCommands<String, String> sync, Masters masters) {
        this.connection = connection;
        this.async = async;
        this.sync = sync;
        this.masters = masters;
    }

    /** Over a connection to a standalone Redis or the master a Sentinel names: it is its own master. */
    static Commands standalone(StatefulRedisConnection<String, String> connection) {
        RedisAsyncCommands<String, String> async = connection.async();
        CompletableFuture<RedisAsyncCommands<String, String>> self = CompletableFuture.completedFuture(async);
        return new Commands(connection, async, connection.sync(), new Masters() {
            @Override
            public CompletionStage<RedisAsyncCommands<String, String>> of(String key) {
                return self;
            }

            @Override
            public String nameOf(String key) {
                return "master";
            }

            @Override
            public boolean topologyHasReplicas() {
                return false;
            }
        });
    }

    /** Over a Cluster connection: scripts are routed by slot, WAIT and INFO go to the slot's master. */
    static Commands cluster(StatefulRedisClusterConnection<String, String> connection) {
        return new Commands(connection, connection.async(), connection.sync(), new Masters() {
            @Override
            public CompletionStage<RedisAsyncCommands<String, String>> of(String key) {
                RedisClusterNode node = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
                if (node == null) {
                    return CompletableFuture.failedFuture(new IllegalStateException("no cluster node serves the slot of key '" + key + "'"));
                }
                return connection.getConnectionAsync(node.getNodeId()).thenApply(StatefulRedisConnection::async);
            }

            @Override
            public String nameOf(String key) {
                RedisClusterNode node = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
                return node == null ? "unknown" : node.getNodeId();
            }

            @Override
            public boolean topologyHasReplicas() {
                for (RedisClusterNode node : connection.getPartitions()) {
                    if (node.getRole().isReplica()) {
                        return true;
                    }
                }
                return false;
            }
        });
    }

    /**
     * {@code EVALSHA} of {@code script} with keys and arguments already encoded: Lettuce writes the
     * bytes as they are, where a {@code String} argument costs a UTF-8 encoding into a pooled
     * buffer and a copy on every call. At least one key; on Cluster the first one routes the call.
     */
    <T> CompletionStage<T> evalsha(Scripts script, ScriptOutputType type, byte[][] keys, byte[]... args) {
        return run(CommandType.EVALSHA, script.shaBytes(), type, keys, args);
    }

    /** {@code EVAL} of {@code script} (which also loads it), as {@link #evalsha}. */
    <T> CompletionStage<T> eval(Scripts script, ScriptOutputType type, byte[][] keys, byte[]... args) {
        return run(CommandType.EVAL, script.bodyBytes(), type, keys, args);
    }

    private <T> CompletionStage<T> run(CommandType command, byte[] script, ScriptOutputType type, byte[][] keys, byte[][] args) {
        CommandArgs<String, String> arguments = new EncodedArgs(keys[0]).add(script).add(keys.length);
        for (byte[] key : keys) {
            arguments.add(key);
        }
        for (byte[] arg : args) {
            arguments.add(arg);
        }
        return async.dispatch(command, output(type), arguments);
    }

    @SuppressWarnings("unchecked")
    private static <T> CommandOutput<String, String, T> output(ScriptOutputType type) {
        // The outputs Lettuce's own evalsha uses for these types.
        CommandOutput<String, String, ?> output = switch (type) {
            case INTEGER -> new IntegerOutput<>(StringCodec.UTF8);
            case MULTI -> new NestedMultiOutput<>(StringCodec.UTF8);
            default -> throw new IllegalArgumentException("no script of the driver answers " + type);
        };
        return (CommandOutput<String, String, T>) output;
    }

    CompletionStage<Long> pttl(String key) {
        return async.pttl(key);
    }

    /** WAIT on the connection that wrote {@code key}; answers how many replicas acknowledged. */
    CompletionStage<Long> waitForReplicas(String key, int replicas, long timeoutMillis) {
        return masters.of(key).thenCompose(master -> master.waitForReplication(replicas, timeoutMillis));
    }

    /** {@code INFO replication} of the master that serves {@code key}. */
    CompletionStage<String> replicationInfo(String key) {
        return masters.of(key).thenCompose(master -> master.info("replication"));
    }

    /** Whether the client's topology lists a replica (on Cluster; false otherwise). */
    boolean topologyHasReplicas() {
        return masters.topologyHasReplicas();
    }

    /** Names the master that serves {@code key}. */
    String masterOf(String key) {
        return masters.nameOf(key);
    }

    /** Every key matching the glob {@code pattern}, on every node; blocking. */
    List<String> scan(String pattern) {
        List<String> keys = new ArrayList<>();
        ScanIterator.scan(sync, ScanArgs.Builder.matches(pattern).limit(1000)).forEachRemaining(keys::add);
        return keys;
    }

    @Override
    public void close() {
        connection.closeAsync();
    }

    /**
     * Arguments written as bytes; the key that routes the command on Cluster is given apart, since
     * Lettuce finds it only among arguments it encodes itself.
     */
    private static final class EncodedArgs extends CommandArgs<String, String> {
        private final byte[] routingKey;

        EncodedArgs(byte[] routingKey) {
            super(StringCodec.UTF8);
            this.routingKey = routingKey;
        }

        @Override
        public ByteBuffer getFirstEncodedKey() {
            return ByteBuffer.wrap(routingKey);
        }
    }
}
