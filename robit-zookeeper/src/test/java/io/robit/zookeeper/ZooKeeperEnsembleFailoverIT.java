package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.testsupport.ZooKeeperEnsemble;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, the cluster smoke for ZooKeeper: a three-server ensemble of separate JVMs, the leader
 * SIGKILLed while a lock is held. The holder's session moves to a live server and keeps the lock,
 * no rival may be granted it meanwhile, tokens only grow, and the test prints how long new grants
 * were unavailable.
 */
class ZooKeeperEnsembleFailoverIT {
    private static final Duration TTL = Duration.ofSeconds(15);
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @Test
    void aHoldSurvivesALeaderKillAndNoRivalIsGrantedIt() throws Exception {
        try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start();
                ZooKeeperDriver holderDriver = ZooKeeperDriver.open("zookeeper://" + ensemble.connectString() + "?sessionTimeout=15s");
                ZooKeeperDriver rivalDriver = ZooKeeperDriver.open("zookeeper://" + ensemble.connectString() + "?sessionTimeout=15s")) {
            Mutex<String> holder = Mutex.of("leader-kill-held", TTL, holderDriver);
            Held held = await().atMost(Duration.ofSeconds(60)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(holder::tryLock, Optional::isPresent).orElseThrow();
            long heldToken = held.fencingToken();
            int leader = ensemble.awaitLeader();

            long killedAt = System.nanoTime();
            ensemble.kill(leader);
            long availableAt = 0;
            long until = System.nanoTime() + TTL.toNanos() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until || availableAt == 0) {
                assertThat(System.nanoTime() - killedAt).as("grants never came back").isLessThan(TimeUnit.SECONDS.toNanos(120));
                try {
                    Optional<Lease> rival = rivalDriver.acquire("leader-kill-held", TTL, TIMEOUT);
                    rival.ifPresent(rivalDriver::release);
                    if (rival.isPresent() && !held.isLost()) {
                        throw new AssertionError("a rival was granted the lock while its holder holds it (double grant)");
                    }
                    if (availableAt == 0) {
                        Optional<Lease> fresh = rivalDriver.acquire("leader-kill-fresh", TTL, TIMEOUT);
                        if (fresh.isPresent()) {
                            availableAt = System.nanoTime();
                            rivalDriver.release(fresh.get());
                        }
                    }
                } catch (DriverException e) {
                    // no quorum yet
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
            System.out.printf("robit-cluster-smoke zookeeper: grants unavailable for %d ms after the leader kill; holder lost: %s%n",
                    TimeUnit.NANOSECONDS.toMillis(availableAt - killedAt), held.lossReason());
            assertThat(held.isLost()).as("the holder lost the lock: %s", held.lossReason()).isFalse();
            held.close();
            Lease rival = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(() -> rivalDriver.acquire("leader-kill-held", TTL, TIMEOUT), Optional::isPresent).orElseThrow();
            assertThat(rival.fencingToken()).as("token after the leader change").isGreaterThan(heldToken);
            rivalDriver.release(rival);
        }
    }
}
