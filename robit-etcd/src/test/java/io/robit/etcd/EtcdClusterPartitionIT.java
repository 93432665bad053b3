package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.testsupport.EtcdCluster;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 on three etcd members: while a lock is held, one member is cut off from the other two
 * (its peer links stalled both ways; clients, the holder's included, stay connected to it and to the
 * others), or the leader is paused (SIGSTOP). No rival may be granted the lock while its holder
 * still believes it holds it, the majority must elect a leader and grant again, tokens only grow, and
 * a follower's cut must not cost the hold (its client's keep-alives reach the other members). The
 * test prints how long grants were unavailable and whether the hold survived a leader's cut or pause
 * (see docs/etcd.md, "Running on a cluster").
 */
class EtcdClusterPartitionIT {
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    // One cluster for the three tests; each heals or resumes what it did.
    private static EtcdCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = EtcdCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aHoldSurvivesItsLeaderBeingCutOff() throws Exception {
        run(Fault.CUT_LEADER);
    }

    @Test
    void aHoldSurvivesAFollowerBeingCutOff() throws Exception {
        run(Fault.CUT_FOLLOWER);
    }

    @Test
    void aHoldSurvivesALeaderPause() throws Exception {
        run(Fault.PAUSE_LEADER);
    }

    private enum Fault {
        CUT_LEADER, CUT_FOLLOWER, PAUSE_LEADER
    }

    private static void run(Fault fault) throws Exception {
        String name = "partition-" + fault.name().toLowerCase(java.util.Locale.ROOT);
        // Every member answers and agrees on a leader (after the previous test's heal, the cut member catches up).
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.isLeader(0) || cluster.isLeader(1) || cluster.isLeader(2));
        int leader = cluster.awaitLeader();
        int target = fault == Fault.CUT_FOLLOWER ? (leader + 1) % 3 : leader;
        // The holder names every member; the rival only the two the fault leaves alone, so that its polls
        // measure the majority (jetcd spreads requests over the members, the cut-off one's fail).
        try (EtcdDriver holderDriver = EtcdDriver.builder(cluster.uri()).build();
                EtcdDriver rivalDriver = EtcdDriver.builder(cluster.uri((target + 1) % 3, (target + 2) % 3)).build()) {
            Mutex<String> holder = Mutex.of(name, TTL, holderDriver);
            Held held = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(holder::tryLock, Optional::isPresent).orElseThrow();
            long heldToken = held.fencingToken();

            long faultAt = System.nanoTime();
            if (fault == Fault.PAUSE_LEADER) {
                cluster.pause(target);
            } else {
                cluster.cut(target);
            }
            try {
                long availableAt = 0;
                long until = System.nanoTime() + TTL.toNanos() + TimeUnit.SECONDS.toNanos(3);
                Lease rivalGrant = null;
                // For more than a ttl after the fault: the rival gets the held lock only once the holder was told.
                while (System.nanoTime() < until || availableAt == 0) {
                    assertThat(System.nanoTime() - faultAt).as("grants never came back").isLessThan(TimeUnit.SECONDS.toNanos(90));
                    try {
                        // Read before the request is sent: a grant after the holder was told is no double grant.
                        boolean toldBefore = held.isLost();
                        Optional<Lease> grant = rivalDriver.acquire(name, TTL, TIMEOUT);
                        if (grant.isPresent()) {
                            assertThat(toldBefore).as("a rival was granted the lock while its holder still believed it held it"
                                    + " (double grant); holder: %s", held.lossReason()).isTrue();
                            rivalGrant = rivalGrant == null ? grant.get() : rivalGrant;
                        }
                        if (availableAt == 0) {
                            Optional<Lease> fresh = rivalDriver.acquire(name + "-fresh", TTL, TIMEOUT);
                            if (fresh.isPresent()) {
                                availableAt = System.nanoTime();
                                rivalDriver.release(fresh.get());
                            }
                        }
                    } catch (DriverException e) {
                        // this request met the cut-off or paused member, or no leader yet
                    }
                    TimeUnit.MILLISECONDS.sleep(200); // the rival's poll interval, not a wait for an outcome
                }
                if (fault == Fault.CUT_LEADER) {
                    assertThat(cluster.isLeader((target + 1) % 3) || cluster.isLeader((target + 2) % 3))
                            .as("the majority elected a leader of its own").isTrue();
                }
                if (fault == Fault.CUT_FOLLOWER) {
                    // The majority keeps its leader: a keep-alive that met the cut-off member is tried again on
                    // another (failed here before the driver did so: the hold was told DEADLINE_PASSED).
                    assertThat(held.isLost()).as("the hold survived a follower's cut; holder: %s", held.lossReason()).isFalse();
                }
                // A leader cut or pause costs an election: the hold survives it when the majority elects within
                // the ttl, which this loaded machine does not always do; reported, not asserted (docs/etcd.md).
                System.out.printf("robit-cluster-partition etcd %s: grants unavailable for %d ms after the fault; %s%n",
                        fault.name().toLowerCase(java.util.Locale.ROOT), TimeUnit.NANOSECONDS.toMillis(availableAt - faultAt),
                        held.isLost() ? "hold LOST (" + held.lossReason().orElseThrow() + "), told before any rival grant" : "hold kept");
                if (rivalGrant != null) {
                    rivalDriver.release(rivalGrant);
                }
            } finally {
                if (fault == Fault.PAUSE_LEADER) {
                    cluster.resume(target);
                } else {
                    cluster.heal();
                }
            }
            held.close();
            Lease rival = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(() -> rivalDriver.acquire(name, TTL, TIMEOUT), Optional::isPresent).orElseThrow();
            assertThat(rival.fencingToken()).as("token after the leader change").isGreaterThan(heldToken);
            rivalDriver.release(rival);
        }
    }
}
