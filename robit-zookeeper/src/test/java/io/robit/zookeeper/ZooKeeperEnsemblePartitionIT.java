package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.Loss;
import io.robit.Mutex;
import io.robit.MutexListener;
import io.robit.spi.Lease;
import io.robit.testsupport.ZooKeeperEnsemble;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 (and issue 12 item 9) on a real three-server ensemble: the server a holder is connected to
 * is cut off from the other two (every peer link stalled both ways; the holder's client stays
 * connected to it, and only to it). The ensemble runs {@code syncLimit=5} ticks of 1 s, so a cut-off
 * server goes on answering reads for up to 5 s, longer than the 4 s session the holder asked for:
 * a renewal that trusted a read there would outlive the session the majority expires. The holder
 * must be told before another session, on the majority side, is granted the lock; the rival's token
 * must be larger; and the test prints how long before the rival's grant the holder was told.
 */
class ZooKeeperEnsemblePartitionIT {
    private static final Duration SESSION = Duration.ofSeconds(4);
    private static final String PARAMETERS = "?sessionTimeout=4s&tickTime=1s&connectionTimeout=4s";
    // One ensemble for both tests (three JVMs take a while to start on a busy machine); each test heals it.
    private static ZooKeeperEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() throws Exception {
        ensemble = ZooKeeperEnsemble.startLinked();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
    }

    @Test
    void aHolderOnAFollowerCutOffFromTheLeaderIsToldBeforeAnotherSessionGetsTheLock() throws Exception {
        holderOnACutOffServer(false);
    }

    @Test
    void aHolderOnALeaderCutOffFromItsFollowersIsToldBeforeAnotherSessionGetsTheLock() throws Exception {
        holderOnACutOffServer(true);
    }

    private static void holderOnACutOffServer(boolean cutTheLeader) throws Exception {
        await().atMost(Duration.ofSeconds(90)).until(() -> ensemble.isServing(0) && ensemble.isServing(1) && ensemble.isServing(2));
        try {
            int leader = ensemble.awaitLeader();
            int cutOff = cutTheLeader ? leader : (leader + 1) % 3;
            int[] majority = {(cutOff + 1) % 3, (cutOff + 2) % 3};
            String name = cutTheLeader ? "cut-off-leader" : "cut-off-follower";
            AtomicLong toldAt = new AtomicLong();
            try (ZooKeeperDriver holderDriver = ZooKeeperDriver.open("zookeeper://" + ensemble.connectString(cutOff) + PARAMETERS);
                    ZooKeeperDriver rivalDriver = ZooKeeperDriver.open("zookeeper://" + ensemble.connectString(majority) + PARAMETERS)) {
                AtomicInteger renewals = new AtomicInteger();
                Mutex<String> holder = Mutex.builder(name, SESSION, holderDriver).listener(new MutexListener() {
                    @Override
                    public void renewed(Mutex<?> mutex, Duration latency, Duration untilDeadline) {
                        renewals.incrementAndGet();
                    }

                    @Override
                    public void lost(Mutex<?> mutex, Loss loss) {
                        toldAt.compareAndSet(0, System.nanoTime());
                    }
                }).build();
                Held held = await().atMost(Duration.ofSeconds(60)).ignoreExceptionsInstanceOf(DriverException.class)
                        .until(holder::tryLock, Optional::isPresent).orElseThrow();
                long heldToken = held.fencingToken();
                // A renewal or two on the healthy ensemble first, so that the cut meets a hold in its steady state.
                await().atMost(Duration.ofSeconds(20)).until(() -> renewals.get() >= 2);

                long cutAt = System.nanoTime();
                ensemble.cut(cutOff);
                Lease rival = null;
                long rivalSentAt = 0;
                boolean toldBeforeRivalSent = false;
                // Bounded: the majority expires the session within a few session timeouts at most.
                while (rival == null) {
                    assertThat(System.nanoTime() - cutAt).as("the majority never granted the lock").isLessThan(TimeUnit.SECONDS.toNanos(90));
                    toldBeforeRivalSent = held.isLost();
                    rivalSentAt = System.nanoTime();
                    try {
                        rival = rivalDriver.acquire(name, SESSION, Duration.ofSeconds(2)).orElse(null);
                    } catch (DriverException e) {
                        // the majority is still electing
                    }
                    if (rival == null) {
                        TimeUnit.MILLISECONDS.sleep(100); // poll interval of the rival, not a wait for an outcome
                    }
                }
                long grantedAt = System.nanoTime();
                System.out.printf("robit-cluster-partition zookeeper %s: holder told %d ms after the cut (%s), rival granted %d ms after the"
                                + " cut (request sent at %d ms), %d ms after the holder was told%n", cutTheLeader ? "leader" : "follower",
                        ms(toldAt.get() - cutAt), held.lossReason(), ms(grantedAt - cutAt), ms(rivalSentAt - cutAt), ms(grantedAt - toldAt.get()));
                assertThat(toldBeforeRivalSent).as("the holder on the cut-off server still believed it held the lock when the rival's"
                        + " granted request was sent (double grant); holder: %s", held.lossReason()).isTrue();
                assertThat(toldAt.get()).as("onLost ran").isNotZero();
                assertThat(rival.fencingToken()).as("the rival's token").isGreaterThan(heldToken);
                rivalDriver.release(rival);
                held.close();
            }
        } finally {
            ensemble.heal();
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
