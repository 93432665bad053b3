package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Loss;
import io.robit.LossReason;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.spi.SessionLease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * etcd holds are renewed through their shared etcd lease (their session): holds outlive their ttl
 * without a request of their own, a key deleted by an operator loses that hold alone while the
 * session keeps the others, and a revoked lease loses every hold on it, each once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdSessionRenewalIT {
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration SLACK = Duration.ofSeconds(5);

    private EtcdDriver driver;

    @BeforeEach
    void open() {
        driver = EtcdTestSupport.newDriver();
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void etcdLeasesAreSessionLeasesOnTheSharedEtcdLease() throws Exception {
        Lease one = driver.acquire(EtcdTestSupport.newLockId("session-a"), TTL, SLACK).orElseThrow();
        Lease two = driver.acquire(EtcdTestSupport.newLockId("session-b"), TTL, SLACK).orElseThrow();
        assertThat(one).isInstanceOf(SessionLease.class);
        assertThat(((SessionLease) one).session()).as("holds of one ttl share one session").isSameAs(((SessionLease) two).session());
        driver.release(one);
        driver.release(two);
    }

    @Test
    void aKeyDeletedByAnOperatorLosesThatHoldAloneWhileTheSessionKeepsTheOthers() throws Exception {
        List<Mutex<String>> mutexes = new ArrayList<>();
        List<AtomicReference<Loss>> losses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AtomicReference<Loss> loss = new AtomicReference<>();
            Mutex<String> m = Mutex.builder(EtcdTestSupport.newLockId("session-" + i), TTL, driver).onLost(loss::set).build();
            m.tryLock(SLACK).orElseThrow();
            mutexes.add(m);
            losses.add(loss);
        }
        EtcdTestSupport.deleteKey(mutexes.get(0).id());
        await("the hold whose key was deleted is told").atMost(SLACK).until(() -> losses.get(0).get() != null);
        assertThat(losses.get(0).get().reason()).isEqualTo(LossReason.GONE);
        // Two more ttls: the others live on, renewed by their session's keep-alives only.
        await().pollDelay(TTL.multipliedBy(2)).atMost(TTL.multipliedBy(2).plus(SLACK)).until(() -> true);
        for (int i = 1; i < 3; i++) {
            assertThat(mutexes.get(i).isHeld()).as("hold %d, on the same live session", i).isTrue();
            assertThat(losses.get(i).get()).isNull();
            assertThat(EtcdTestSupport.keyValue(mutexes.get(i).id())).as("its key is still in etcd").isNotNull();
            mutexes.get(i).unlock();
        }
    }

    @Test
    void aRevokedLeaseLosesEveryHoldOnItOnceAsExpired() throws Exception {
        List<Mutex<String>> mutexes = new ArrayList<>();
        List<AtomicReference<Loss>> losses = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < 4; i++) {
            AtomicReference<Loss> loss = new AtomicReference<>();
            Mutex<String> m = Mutex.builder(EtcdTestSupport.newLockId("revoked-" + i), Duration.ofSeconds(60), driver)
                    .onLost(l -> {
                        loss.set(l);
                        told.incrementAndGet();
                    }).build();
            m.tryLock(SLACK).orElseThrow();
            mutexes.add(m);
            losses.add(loss);
        }
        EtcdTestSupport.revokeLeaseOf(mutexes.get(0).id());
        await("every hold on the revoked lease is told").atMost(SLACK).until(() -> told.get() >= 4);
        await("each once").during(Duration.ofMillis(500)).atMost(SLACK).until(() -> told.get() == 4);
        for (int i = 0; i < 4; i++) {
            assertThat(losses.get(i).get().reason()).isEqualTo(LossReason.EXPIRED);
            assertThat(mutexes.get(i).isHeld()).isFalse();
        }
        // The next acquire takes a fresh lease.
        Mutex<String> next = Mutex.of(EtcdTestSupport.newLockId("after-revoke"), Duration.ofSeconds(60), driver);
        assertThat(next.tryLock(SLACK)).isPresent();
        next.unlock();
    }
}
