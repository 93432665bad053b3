package io.robit.redis;

import io.lettuce.core.ScriptOutputType;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The few Redis commands the driver sends, over whichever connection kind (standalone, Sentinel,
 * Cluster) it has. Thread-safe: one connection is shared by every caller.
 */
interface Commands extends AutoCloseable {

    <T> CompletionStage<T> evalsha(String sha, ScriptOutputType type, String[] keys, String... args);

    <T> CompletionStage<T> eval(String script, ScriptOutputType type, String[] keys, String... args);

    CompletionStage<Long> pttl(String key);

    /** WAIT on the connection that wrote {@code key}; answers how many replicas acknowledged. */
    CompletionStage<Long> waitForReplicas(String key, int replicas, long timeoutMillis);

    /** {@code INFO replication} of the master that serves {@code key}. */
    CompletionStage<String> replicationInfo(String key);

    /** Names the master that serves {@code key} (for caches keyed by master; constant when there is one). */
    String masterOf(String key);

    /** Every key matching the glob {@code pattern}, on every node; blocking. */
    List<String> scan(String pattern);

    @Override
    void close();
}
