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
 * when acquire returns (WAIT through the slot's master connection). When that master is SIGKILLed
 * and its replica takes over, the promoted replica has no replica of its own: a fresh lock on that
 * shard is refused with a clear error (a grant there could be forgotten by the next failover, and a
 * deposed master lists no replicas either) until the killed node is back as its replica. Throughout,
 * no rival is granted the held lock; the hold, renewed on the new master, outlives its first
 * deadline; tokens grow. Prints how long new grants on that shard were unavailable.
 */
class RedisClusterFailoverIT {
    // Covers the failover (5 s node timeout), the killed node's restart and its resync as a replica.
    private static final Duration TTL = Duration.ofSeconds(40);

    @Test
    void aGrantIsOnTheReplicaAndSurvivesItsMastersKill() throws Exception {
        try (RedisCluster cluster = RedisCluster.start(1);
                RedisDriver holderDriver = RedisDriver.open(cluster.uri());
                RedisDriver rivalDriver = RedisDriver.open(cluster.uri())) {
            String id = "cluster-failover-held";
            Mutex<String> holder = Mutex.of(id, TTL, holderDriver);
            long heldFrom = System.nanoTime();
            Held held = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(holder::tryLock, Optional::isPresent).orElseThrow();
            long heldToken = held.fencingToken();
            String key = holderDriver.lockKey(id);
            assertThat(copiesOf(cluster, key)).as("nodes holding the lock key as acquire returns (master and replica)").isEqualTo(2);

            int slot = SlotHash.getSlot(key);
            int masterPort = masterPortOf(cluster.nodes().get(0).port(), slot);
            String fresh = sameShard(cluster, holderDriver, masterPort);
            RedisServer master = cluster.nodes().stream().filter(node -> node.port() == masterPort).findFirst().orElseThrow();
            int witness = cluster.nodes().stream().filter(node -> node != master).findFirst().orElseThrow().port();
            FailoverRival rival = new FailoverRival(rivalDriver, id, TTL, held);
            long killedAt = System.nanoTime();
            master.stop();
            // Until the replica took over: no double grant, whatever the rival gets as answers.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                rival.mustNotGet();
                return masterPortOf(witness, slot) != masterPort;
            });
            // The promoted replica has no replica: a fresh lock on its shard is refused, and says why.
            String refusal = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                rival.mustNotGet();
                try {
                    Optional<Lease> grant = rivalDriver.acquire(fresh, TTL, Duration.ofSeconds(2));
                    grant.ifPresent(rivalDriver::release);
                    return grant.isPresent() ? "granted without a replica" : "held by someone";
                } catch (DriverException e) {
                    return e.getMessage();
                }
            }, message -> message.contains("replicas acknowledged") || message.startsWith("granted") || message.startsWith("held"));
            assertThat(refusal).as("a fresh acquire on the promoted replica, which has no replica of its own")
                    .contains("acquire of lock '" + fresh + "'").contains("0 of 1 replicas acknowledged");

            master.startAgain(); // its nodes.conf survived: it rejoins as the new master's replica
            long[] availableAt = {0};
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
                rival.mustNotGet();
                try {
                    Optional<Lease> lease = rivalDriver.acquire(fresh, TTL, Duration.ofSeconds(2));
                    lease.ifPresent(rivalDriver::release);
                    availableAt[0] = System.nanoTime();
                    return lease.isPresent();
                } catch (DriverException e) {
                    return false; // the node is still resyncing as a replica
                }
            });
            System.out.printf("robit-cluster-smoke redis-cluster: grants on the shard unavailable for %d ms after its master kill"
                    + " (the killed node started again once its replica took over)%n", TimeUnit.NANOSECONDS.toMillis(availableAt[0] - killedAt));

            // The holder renews on the new master, and keeps the lock past the deadline of its first grant.
            long until = heldFrom + TTL.toNanos() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < until) {
                rival.mustNotGet();
                assertThat(held.isLost()).as("the holder lost the lock: %s", held.lossReason()).isFalse();
                TimeUnit.MILLISECONDS.sleep(500);
            }
            held.close();
            Lease after = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(() -> rivalDriver.acquire(id, TTL, Duration.ofSeconds(2)), Optional::isPresent).orElseThrow();
            assertThat(after.fencingToken()).as("token after the failover").isGreaterThan(heldToken);
            rivalDriver.release(after);
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

    /** The port of the master serving {@code slot}, as the node on {@code askPort} sees it. */
    private static int masterPortOf(int askPort, int slot) {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.create("127.0.0.1", askPort));
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
            if (masterPortOf(cluster.nodes().get(0).port(), SlotHash.getSlot(driver.lockKey(name))) == masterPort) {
                return name;
            }
        }
    }
}
