package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.testsupport.RedisServer;
import io.robit.testsupport.RedisCluster;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, Redis Cluster of three masters with one replica each: a grant is on the slot's replica
 * when acquire returns (WAIT through the slot's master connection), and when that master is
 * SIGKILLed and its replica takes over, the hold survives, no rival is granted it, tokens grow; the
 * test prints how long new grants on that shard were unavailable.
 */
class RedisClusterFailoverIT {
    private static final Duration TTL = Duration.ofSeconds(20);

    @Test
    void aGrantIsOnTheReplicaAndSurvivesItsMastersKill() throws Exception {
        try (RedisCluster cluster = RedisCluster.start(1);
                RedisDriver holderDriver = RedisDriver.open(cluster.uri());
                RedisDriver rivalDriver = RedisDriver.open(cluster.uri())) {
            String id = "cluster-failover-held";
            Mutex<String> holder = Mutex.of(id, TTL, holderDriver);
            Held held = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(holder::tryLock, Optional::isPresent).orElseThrow();
            long heldToken = held.fencingToken();
            String key = holderDriver.lockKey(id);
            assertThat(copiesOf(cluster, key)).as("nodes holding the lock key as acquire returns (master and replica)").isEqualTo(2);

            int masterPort = masterPortOf(cluster, SlotHash.getSlot(key));
            String fresh = sameShard(cluster, holderDriver, masterPort);
            RedisServer master = cluster.nodes().stream().filter(node -> node.port() == masterPort).findFirst().orElseThrow();
            long killedAt = System.nanoTime();
            master.stop();
            long availableAt = 0;
            String lastError = "none";
            long until = System.nanoTime() + TTL.toNanos() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < until || availableAt == 0) {
                assertThat(System.nanoTime() - killedAt).as("grants never came back; last error: %s", lastError)
                        .isLessThan(TimeUnit.SECONDS.toNanos(90));
                if (availableAt == 0) {
                    try {
                        Optional<Lease> lease = rivalDriver.acquire(fresh, TTL, Duration.ofSeconds(2));
                        if (lease.isPresent()) {
                            availableAt = System.nanoTime();
                            rivalDriver.release(lease.get());
                        }
                    } catch (DriverException e) {
                        lastError = e.getMessage();
                    }
                }
                try {
                    assertThat(rivalDriver.acquire(id, TTL, Duration.ofSeconds(2))).as("rival while the holder holds (double grant)").isEmpty();
                } catch (DriverException e) {
                    lastError = e.getMessage();
                }
                assertThat(held.isLost()).as("the holder lost the lock: %s", held.lossReason()).isFalse();
                TimeUnit.MILLISECONDS.sleep(200);
            }
            System.out.printf("robit-cluster-smoke redis-cluster: grants on the shard unavailable for %d ms after its master kill%n",
                    TimeUnit.NANOSECONDS.toMillis(availableAt - killedAt));
            held.close();
            Lease rival = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(() -> rivalDriver.acquire(id, TTL, Duration.ofSeconds(2)), Optional::isPresent).orElseThrow();
            assertThat(rival.fencingToken()).as("token after the failover").isGreaterThan(heldToken);
            rivalDriver.release(rival);
        }
    }

    /** How many nodes (masters and, with READONLY, replicas) have {@code key}. */
    private static int copiesOf(RedisCluster cluster, String key) {
        int copies = 0;
        for (RedisServer node : cluster.nodes()) {
            try (TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(node.uri()))) {
                admin.sync().readOnly();
                if (admin.sync().get(key) != null) {
                    copies++;
                }
            } catch (RuntimeException e) {
                // MOVED: this node neither serves nor replicates the slot
            }
        }
        return copies;
    }

    private static int masterPortOf(RedisCluster cluster, int slot) {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.nodes().get(0).port()));
        try (var connection = client.connect()) {
            return connection.getPartitions().getPartitionBySlot(slot).getUri().getPort();
        } finally {
            client.shutdown();
        }
    }

    /** A lock name whose slot the same master serves, to measure that shard's unavailability. */
    private static String sameShard(RedisCluster cluster, RedisDriver driver, int masterPort) {
        for (int i = 0; ; i++) {
            String name = "cluster-failover-fresh-" + i;
            if (masterPortOf(cluster, SlotHash.getSlot(driver.lockKey(name))) == masterPort) {
                return name;
            }
        }
    }
}
