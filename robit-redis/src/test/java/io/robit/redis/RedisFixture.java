package io.robit.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.robit.spi.Driver;
import io.robit.spi.LeaseSession;
import io.robit.tck.DriverFixture;
import io.robit.testsupport.RedisCluster;
import io.robit.testsupport.RedisSentinelGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The Redis backends of the conformance kit: the shared server (reached through a proxy for the
 * outage and partition contracts), and a Cluster or a Sentinel group of the fixture's own. A lease is
 * broken by deleting its key from an admin connection. Thread-safe.
 */
final class RedisFixture implements DriverFixture<String> {
    private static final String ID_PREFIX = "conformance-";

    private final String uri;
    private final String keyPrefix;
    private final Consumer<String> deleteKey;
    private final InetSocketAddress server; // null: no single server to cut off
    private final List<String> invalidIds;
    private final AutoCloseable stop;

    private RedisFixture(String uri, String keyPrefix, Consumer<String> deleteKey, InetSocketAddress server, List<String> invalidIds,
            AutoCloseable stop) {
        this.uri = uri;
        this.keyPrefix = keyPrefix;
        this.deleteKey = deleteKey;
        this.server = server;
        this.invalidIds = invalidIds;
        this.stop = stop;
    }

    /** The shared redis-server on 127.0.0.1:6379 (see {@link TestRedis}); its test keys are removed on close. */
    static RedisFixture standalone() {
        TestRedis.Admin admin = TestRedis.admin();
        return new RedisFixture(TestRedis.uri(), TestRedis.PREFIX, key -> admin.sync().del(key), new InetSocketAddress(TestRedis.HOST, TestRedis.PORT),
                List.of("", "x".repeat(RedisDriver.MAX_ID_BYTES + 1), "\u00e9".repeat(RedisDriver.MAX_ID_BYTES / 2 + 1), "bad\uD800surrogate"),
                () -> {
                    admin.deleteKeys(TestRedis.PREFIX + "{" + ID_PREFIX);
                    admin.close();
                });
    }

    /** The three-master Redis Cluster of this test JVM ({@link #sharedCluster()}). */
    static RedisFixture cluster() {
        RedisCluster cluster = sharedCluster();
        RedisClusterClient client = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.nodes().get(0).port()));
        StatefulRedisClusterConnection<String, String> admin = client.connect();
        return new RedisFixture(cluster.uri(), "robit:", key -> admin.sync().del(key), null,
                List.of("", "x".repeat(RedisDriver.MAX_ID_BYTES + 1)), () -> {
                    admin.close();
                    client.shutdown();
                });
    }

    /**
     * A three-master Redis Cluster (no replicas) shared by the tests of this JVM that do not stop its
     * nodes: started on first use, stopped when the JVM exits.
     */
    static RedisCluster sharedCluster() {
        return SharedCluster.CLUSTER;
    }

    // Started when first used (class initialization is lazy and thread-safe).
    private static final class SharedCluster {
        static final RedisCluster CLUSTER = start();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(CLUSTER::close, "redis-test-cluster-stop"));
        }

        private static RedisCluster start() {
            try {
                return RedisCluster.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting a Redis Cluster", e);
            }
        }
    }

    /**
     * A master with a replica behind three Sentinels, of the fixture's own (issue 14): every grant and
     * renewal waits for the replica's acknowledgement (the default). Stopped on close.
     */
    static RedisFixture sentinel() throws Exception {
        RedisSentinelGroup group = RedisSentinelGroup.start();
        TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(group.master().uri()));
        return new RedisFixture(group.uri(), "robit:", key -> admin.sync().del(key), null,
                List.of("", "x".repeat(RedisDriver.MAX_ID_BYTES + 1)), () -> {
                    admin.close();
                    group.close();
                });
    }

    @Override
    public Driver<String> newDriver() {
        return RedisDriver.open(uri); // own client and connections: a separate "process"
    }

    @Override
    public Optional<InetSocketAddress> serverAddress() {
        return Optional.ofNullable(server);
    }

    @Override
    public Driver<String> newDriverVia(InetSocketAddress address) {
        return RedisDriver.open("redis://" + address.getHostString() + ":" + address.getPort() + "?keyPrefix=" + keyPrefix);
    }

    @Override
    public String newLockId() {
        return ID_PREFIX + UUID.randomUUID();
    }

    @Override
    public void breakLease(String id) {
        deleteKey.accept(keyPrefix + "{" + id + "}");
    }

    /**
     * Redis keeps no session of its own: a {@link RedisSession} is the driver's set of keys of one
     * ttl, so ending it is deleting every one of those keys. The holders learn it at their session's
     * next keep-alive, which this runs at once rather than waiting a renew period of the long ttl.
     */
    @Override
    public void endSession(LeaseSession session) throws Exception {
        RedisSession redis = (RedisSession) session;
        redis.keys().forEach(deleteKey);
        redis.keepAlive(Duration.ofSeconds(10));
    }

    @Override
    public List<String> invalidIds() {
        return invalidIds;
    }

    @Override
    public void close() throws Exception {
        stop.close();
    }
}
