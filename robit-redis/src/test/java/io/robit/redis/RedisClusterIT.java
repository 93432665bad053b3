package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.testsupport.RedisCluster;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cluster-specific checks against the three-master Redis Cluster of this JVM (shared with
 * {@link RedisClusterConformanceIT}, see {@link RedisFixture#sharedCluster()}): both keys of
 * a lock in one slot, locks spread over the masters, and a release on one master waking a waiter
 * subscribed through another. The kit's contracts run in {@link RedisClusterConformanceIT}.
 */
class RedisClusterIT {
    private static RedisCluster cluster;
    private static RedisClusterClient admin;

    @BeforeAll
    static void connect() {
        cluster = RedisFixture.sharedCluster();
        admin = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.nodes().get(0).port()));
    }

    @AfterAll
    static void disconnect() {
        if (admin != null) {
            admin.shutdown();
        }
    }

    @Test
    void keysOfOneLockShareASlotAndLocksSpreadOverTheMasters() throws Exception {
        try (RedisDriver driver = RedisDriver.open(cluster.uri()); var connection = admin.connect()) {
            Set<String> masters = new HashSet<>();
            for (int i = 0; i < 30; i++) {
                String id = "spread-" + i;
                assertThat(SlotHash.getSlot(driver.lockKey(id))).isEqualTo(SlotHash.getSlot(driver.counterKey(id)));
                var lease = driver.acquire(id, Duration.ofSeconds(30), Duration.ofSeconds(5)).orElseThrow();
                masters.add(connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(driver.lockKey(id))).getNodeId());
                assertThat(connection.sync().get(driver.counterKey(id))).isEqualTo(Long.toString(lease.fencingToken()));
                driver.release(lease);
            }
            assertThat(masters).as("30 locks land on every master").hasSize(3);
        }
    }

    @Test
    void handoffAcrossNodesWakesTheWaiter() throws Exception {
        try (RedisDriver one = RedisDriver.open(cluster.uri()); RedisDriver two = RedisDriver.open(cluster.uri())) {
            for (String id : List.of("handoff-a", "handoff-b", "handoff-c")) {
                Mutex<String> first = Mutex.of(id, Duration.ofSeconds(60), one);
                Mutex<String> second = Mutex.of(id, Duration.ofSeconds(60), two);
                first.lock();
                CompletableFuture<Long> taken = CompletableFuture.supplyAsync(() -> {
                    try (Held held = second.lock()) {
                        return System.nanoTime();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                TimeUnit.MILLISECONDS.sleep(300);
                long released = System.nanoTime();
                first.unlock();
                long at = taken.get(20, TimeUnit.SECONDS);
                assertThat(Duration.ofNanos(at - released)).as("handoff of %s, far below its 60 s ttl", id).isLessThan(Duration.ofSeconds(5));
            }
        }
    }
}
