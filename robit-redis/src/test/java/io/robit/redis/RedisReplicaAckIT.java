package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.testsupport.RedisServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: by default a lock write a replica has not acknowledged is not trusted, so a failover to
 * that replica cannot hand out a lock its holder believes held. Against a master and a replica of
 * the test's own; the replica is frozen (SIGSTOP) so that the master still counts it connected.
 */
class RedisReplicaAckIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void byDefaultAnAcquireOrRenewalNoReplicaAcknowledgedIsNotTrusted() throws Exception {
        try (RedisServer master = RedisServer.start();
                RedisServer replica = RedisServer.start();
                TestRedis.Admin onReplica = new TestRedis.Admin(RedisClient.create(replica.uri()));
                TestRedis.Admin onMaster = new TestRedis.Admin(RedisClient.create(master.uri()))) {
            onReplica.sync().replicaof("127.0.0.1", master.port());
            await().atMost(Duration.ofSeconds(30)).until(() -> onMaster.sync().info("replication").contains("state=online"));
            try (RedisDriver driver = RedisDriver.open(master.uri());
                    RedisDriver unchecked = RedisDriver.open(master.uri() + "?waitForReplicas=0")) {
                // With the replica running: granted, and the replica has the key when acquire returns.
                Lease lease = driver.acquire("ack-1", Duration.ofSeconds(30), TIMEOUT).orElseThrow();
                assertThat(onReplica.sync().get(driver.lockKey("ack-1"))).as("the lock key on the replica as acquire returns").isNotNull();
                driver.release(lease);

                Mutex<String> mutex = Mutex.of("ack-renewed", Duration.ofSeconds(3), driver);
                Held held = mutex.lock();

                replica.pause();
                try {
                    assertThatThrownBy(() -> driver.acquire("ack-2", Duration.ofSeconds(30), TIMEOUT))
                            .isInstanceOf(DriverException.class)
                            .hasMessageContaining("acquire of lock 'ack-2'")
                            .hasMessageContaining("0 of 1 replicas acknowledged");
                    // Given back, not left taken: the master does not hold it either (the give-back is not awaited).
                    await().atMost(Duration.ofSeconds(15)).until(() -> onMaster.sync().get(driver.lockKey("ack-2")) == null);
                    // Renewals nobody acknowledged do not keep the hold: it is lost at its local deadline.
                    await().atMost(Duration.ofSeconds(30)).until(held::isLost);
                    // Negative control: with the check off, the same acquire is granted without a replica.
                    Lease untrusted = unchecked.acquire("ack-3", Duration.ofSeconds(30), TIMEOUT).orElseThrow();
                    unchecked.release(untrusted);
                } finally {
                    replica.resume();
                }
                held.close();
                // The replica back: grants work again.
                Lease again = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                        .until(() -> driver.acquire("ack-2", Duration.ofSeconds(30), TIMEOUT), java.util.Optional::isPresent).orElseThrow();
                assertThat(onReplica.sync().get(driver.lockKey("ack-2"))).isNotNull();
                driver.release(again);
            }
        }
    }

    /**
     * A master that lost its replica (as a master deposed by a failover has) still needs one to
     * acknowledge: a master listing no replicas may be one whose writes a demotion is about to
     * forget. The driver remembers it saw a replica, and a new driver reads the master's replication
     * backlog. Before, the driver read "no replicas" again 5 s later and trusted grants without WAIT.
     */
    @Test
    void aMasterThatLostItsReplicaIsNotTrustedAlone() throws Exception {
        try (RedisServer master = RedisServer.start();
                RedisServer replica = RedisServer.start();
                TestRedis.Admin onReplica = new TestRedis.Admin(RedisClient.create(replica.uri()));
                TestRedis.Admin onMaster = new TestRedis.Admin(RedisClient.create(master.uri()))) {
            onReplica.sync().replicaof("127.0.0.1", master.port());
            await().atMost(Duration.ofSeconds(30)).until(() -> onMaster.sync().info("replication").contains("state=online"));
            try (RedisDriver driver = RedisDriver.open(master.uri())) {
                driver.release(driver.acquire("lost-replica-1", Duration.ofSeconds(30), TIMEOUT).orElseThrow());

                onReplica.sync().replicaofNoOne();
                await().atMost(Duration.ofSeconds(30)).until(() -> !onMaster.sync().info("replication").contains("state=online"));
                // Past the time the driver trusts a replica count it read: what is tested is what it learned, not a cache.
                TimeUnit.MILLISECONDS.sleep(ReplicaAcks.REFRESH.toMillis() + 500);
                assertThatThrownBy(() -> driver.acquire("lost-replica-2", Duration.ofSeconds(30), TIMEOUT))
                        .isInstanceOf(DriverException.class)
                        .hasMessageContaining("acquire of lock 'lost-replica-2'")
                        .hasMessageContaining("0 of 1 replicas acknowledged");
                await().atMost(Duration.ofSeconds(15)).until(() -> onMaster.sync().get(driver.lockKey("lost-replica-2")) == null);

                // A driver that never wrote there before: the master's replication backlog outlives the replica.
                try (RedisDriver newcomer = RedisDriver.open(master.uri())) {
                    assertThatThrownBy(() -> newcomer.acquire("lost-replica-3", Duration.ofSeconds(30), TIMEOUT))
                            .isInstanceOf(DriverException.class).hasMessageContaining("0 of 1 replicas acknowledged");
                }

                // The replica back: the first driver's grants work again.
                onReplica.sync().replicaof("127.0.0.1", master.port());
                Lease again = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                        .until(() -> driver.acquire("lost-replica-2", Duration.ofSeconds(30), TIMEOUT), java.util.Optional::isPresent)
                        .orElseThrow();
                assertThat(onReplica.sync().get(driver.lockKey("lost-replica-2"))).isNotNull();
                driver.release(again);
            }
        }
    }

    @Test
    void withoutReplicasNoWaitIsSent() throws Exception {
        try (RedisServer alone = RedisServer.start();
                RedisDriver driver = RedisDriver.open(alone.uri() + "?waitForReplicasTimeout=200")) {
            Lease lease = driver.acquire("ack-alone", Duration.ofSeconds(30), TIMEOUT).orElseThrow();
            driver.release(lease);
            assertThat(driver.toString()).contains("WAIT 1 200 once the deployment has replicas");
        }
    }
}
