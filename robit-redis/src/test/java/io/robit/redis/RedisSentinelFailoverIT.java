package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.testsupport.RedisSentinelGroup;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, the cluster smoke for Redis with Sentinel: the master is SIGKILLed right after a grant
 * (the case that handed the lock to a rival 1.79 s later before replicas had to acknowledge), and
 * Sentinel promotes the replica. The hold must survive on the promoted replica, no rival may be
 * granted the lock while the holder holds it, tokens only grow, and the test prints how long new
 * grants were unavailable.
 */
class RedisSentinelFailoverIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Duration TTL = Duration.ofSeconds(20);

    @Test
    void aHoldSurvivesAMasterKillAndNoRivalIsGrantedIt() throws Exception {
        try (RedisSentinelGroup group = RedisSentinelGroup.start();
                RedisDriver holderDriver = RedisDriver.open(group.uri());
                RedisDriver rivalDriver = RedisDriver.open(group.uri())) {
            Mutex<String> holder = Mutex.of("failover-held", TTL, holderDriver);
            Held held = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(holder::tryLock, Optional::isPresent).orElseThrow();
            long heldToken = held.fencingToken();
            int oldMaster = group.master().port();

            long killedAt = System.nanoTime();
            group.master().stop(); // SIGKILL, right after the grant
            AtomicReference<Lease> rivalGrant = new AtomicReference<>();
            // A rival tries the held lock all along, and a fresh name measures when grants work again.
            long[] availableAt = {0};
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
                try {
                    // Read before the request is sent: a grant after the holder was told of its loss
                    // (a failover slower than the ttl, on a starved machine) is no double grant.
                    boolean holderToldBefore = held.isLost();
                    Optional<Lease> grant = rivalDriver.acquire("failover-held", TTL, Duration.ofSeconds(2));
                    if (grant.isPresent()) {
                        assertThat(holderToldBefore).as("a rival was granted the held lock while its holder still believed it held it"
                                + " (double grant); holder: %s", held.lossReason()).isTrue();
                        rivalGrant.set(grant.get());
                    }
                } catch (DriverException e) {
                    // the master is down or not yet promoted
                }
                if (availableAt[0] == 0) {
                    try {
                        Optional<Lease> fresh = rivalDriver.acquire("failover-fresh", TTL, Duration.ofSeconds(2));
                        if (fresh.isPresent()) {
                            availableAt[0] = System.nanoTime();
                            rivalDriver.release(fresh.get());
                        }
                    } catch (DriverException e) {
                        // not yet
                    }
                }
                return rivalGrant.get() != null || availableAt[0] != 0;
            });
            // The holder was told first (asserted above), but the rest needs a hold that outlived the failover.
            Assumptions.assumeTrue(rivalGrant.get() == null,
                    () -> "the failover outlasted the " + TTL + " ttl on this machine; the holder was told (" + held.lossReason()
                            + ") before the rival's grant, so the survival check cannot run");
            assertThat(group.currentMasterPort()).as("Sentinel promoted the replica").isEqualTo(group.replica().port()).isNotEqualTo(oldMaster);
            System.out.printf("robit-cluster-smoke redis-sentinel: grants unavailable for %d ms after the master kill%n",
                    TimeUnit.NANOSECONDS.toMillis(availableAt[0] - killedAt));

            // The holder renews on the promoted replica, and keeps the lock for more than a ttl.
            long until = System.nanoTime() + TTL.toNanos() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < until) {
                assertThat(rivalDriver.acquire("failover-held", TTL, Duration.ofSeconds(2))).as("rival while the holder holds").isEmpty();
                assertThat(held.isLost()).as("the holder lost the lock: %s", held.lossReason()).isFalse();
                TimeUnit.MILLISECONDS.sleep(500);
            }
            held.close();
            Lease rival = await().atMost(Duration.ofSeconds(30)).until(
                    () -> rivalDriver.acquire("failover-held", TTL, Duration.ofSeconds(2)), Optional::isPresent).orElseThrow();
            assertThat(rival.fencingToken()).as("token after the failover").isGreaterThan(heldToken);
            rivalDriver.release(rival);
            try (TestRedis.Admin onNewMaster = new TestRedis.Admin(RedisClient.create(group.replica().uri()))) {
                assertThat(onNewMaster.sync().info("replication")).contains("role:master");
            }
        }
    }
}
