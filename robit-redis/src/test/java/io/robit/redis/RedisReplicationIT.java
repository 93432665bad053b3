package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.robit.DriverException;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.testsupport.RedisServer;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The optional WAIT after acquire, against a master and one replica of the test's own, and a
 * driver that follows a Sentinel to its master.
 */
class RedisReplicationIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void waitForReplicasKeepsTheLockOnlyWhenEnoughReplicasAcknowledged() throws Exception {
        try (RedisServer master = RedisServer.start();
                RedisServer replica = RedisServer.start();
                TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(replica.uri()))) {
            admin.sync().replicaof("127.0.0.1", master.port());
            await().atMost(Duration.ofSeconds(20)).until(() -> admin.sync().info("replication").contains("master_link_status:up"));
            RedisClient client = RedisClient.create();
            try (RedisDriver one = RedisDriver.builder(client, RedisURI.create("127.0.0.1", master.port()))
                            .waitForReplicas(1, Duration.ofSeconds(2)).build();
                    RedisDriver two = RedisDriver.builder(client, RedisURI.create("127.0.0.1", master.port()))
                            .waitForReplicas(2, Duration.ofMillis(200)).build()) {
                Lease lease = one.acquire("replicated", Duration.ofSeconds(30), TIMEOUT).orElseThrow();
                await().atMost(Duration.ofSeconds(10)).until(() -> admin.sync().get(one.lockKey("replicated")) != null);
                one.release(lease);

                assertThatThrownBy(() -> two.acquire("under-replicated", Duration.ofSeconds(30), TIMEOUT))
                        .isInstanceOf(DriverException.class)
                        .hasMessageContaining("acquire of lock 'under-replicated'")
                        .hasMessageContaining("only 1 of 2 replicas acknowledged");
                // The lock was given back, not left taken for its 30 s ttl.
                Mutex<String> mutex = Mutex.of("under-replicated", Duration.ofSeconds(30), one);
                Optional<io.robit.Held> held = await().atMost(Duration.ofSeconds(10)).until(mutex::tryLock, Optional::isPresent);
                assertThat(held).isPresent();
                mutex.unlock();
            } finally {
                client.shutdown();
            }
        }
    }

    @Test
    void sentinelUriFindsTheMaster() throws Exception {
        try (RedisServer master = RedisServer.start()) {
            java.nio.file.Path config = java.nio.file.Files.createTempFile("robit-sentinel", ".conf");
            java.nio.file.Files.writeString(config, "sentinel monitor robit-master 127.0.0.1 " + master.port() + " 1\n"
                    + "sentinel down-after-milliseconds robit-master 5000\n");
            try (RedisServer sentinel = RedisServer.startWith(config.toString(), "--sentinel");
                    RedisDriver driver = RedisDriver.open("redis-sentinel://127.0.0.1:" + sentinel.port() + "#robit-master");
                    TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(master.uri()))) {
                Lease lease = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptionsInstanceOf(DriverException.class)
                        .until(() -> driver.acquire("via-sentinel", Duration.ofSeconds(30), TIMEOUT), Optional::isPresent).orElseThrow();
                assertThat(admin.sync().get(driver.lockKey("via-sentinel"))).as("the lock lives on the master").isNotNull();
                driver.release(lease);
            } finally {
                java.nio.file.Files.deleteIfExists(config);
            }
        }
    }
}
