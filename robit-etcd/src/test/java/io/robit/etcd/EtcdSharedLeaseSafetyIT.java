package io.robit.etcd;

import static io.robit.etcd.EtcdTestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver shares one etcd lease among all its holds of a ttl: nothing that happens to one hold
 * (a failed or interrupted release, an acquire whose answer never came) may delete another hold's
 * key, and no key of ours may outlive its hold while the other holds keep that lease alive. The
 * faults are injected in the client's gRPC channel ({@link TxnFaults}) against the real server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdSharedLeaseSafetyIT {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration SLACK = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

    private TxnFaults faults;
    private Client faultyClient;
    private EtcdDriver driver;
    private EtcdDriver rival;

    @BeforeEach
    void open() {
        faults = new TxnFaults();
        faultyClient = faults.client();
        driver = EtcdDriver.builder(faultyClient).endpointDescription(EtcdTestSupport.server().endpoint()).requestTimeout(REQUEST_TIMEOUT).build();
        rival = EtcdTestSupport.newDriver();
    }

    @AfterEach
    void close() {
        driver.close();
        faultyClient.close();
        rival.close();
    }

    /**
     * Issue 12, item 1: an unlock on an interrupted thread failed, retired the shared lease and
     * revoked it, deleting the key of an acquire in flight on it; the rival was then granted that lock.
     */
    @Test
    void anInterruptedUnlockNeverDeletesTheKeyOfAnAcquireInFlightOnTheSharedLease() throws Exception {
        String a = EtcdTestSupport.newLockId("shared-a");
        String b = EtcdTestSupport.newLockId("shared-b");
        Mutex<String> mutexA = Mutex.of(a, TTL, driver);
        Mutex<String> mutexB = Mutex.of(b, TTL, driver);
        mutexA.lock();

        // b's transaction reaches etcd (same shared lease as a), but its answer is held back.
        TxnFaults.Gate gate = faults.holdAnswerToPut(EtcdTestSupport.key(b));
        CompletableFuture<Held> heldB = CompletableFuture.supplyAsync(() -> {
            try {
                return mutexB.lock();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        await("b's key written on etcd").atMost(SLACK).until(() -> EtcdTestSupport.keyValue(b) != null && gate.answered());
        assertThat(EtcdTestSupport.keyValue(b).getLease()).as("b shares a's etcd lease").isEqualTo(EtcdTestSupport.keyValue(a).getLease());

        Thread.currentThread().interrupt();
        try {
            mutexA.unlock();
            assertThat(Thread.currentThread().isInterrupted()).as("unlock leaves the interrupt flag set").isTrue();
        } finally {
            Thread.interrupted();
        }
        gate.open();
        Held holdB = heldB.get(SLACK.toSeconds(), TimeUnit.SECONDS);

        await("a released by its unlock").atMost(SLACK).until(() -> EtcdTestSupport.keyValue(a) == null);
        KeyValue keyB = EtcdTestSupport.keyValue(b);
        assertThat(keyB).as("b's key survives a's release").isNotNull();
        assertThat(keyB.getCreateRevision()).isEqualTo(holdB.fencingToken());
        Optional<Lease> stolen = rival.acquire(b, TTL, TIMEOUT);
        stolen.ifPresent(rival::release);
        assertThat(stolen).as("another driver is granted b while b is held").isEmpty();
        assertThat(holdB.isLost()).isFalse();
        mutexB.unlock();
        assertThat(EtcdTestSupport.keyValue(b)).isNull();
    }

    /**
     * Issue 12, item 1: a release whose delete failed left the key until every other hold on the
     * shared lease had ended (or revoked the lease under them). The owner-checked delete is retried.
     */
    @Test
    void aFailedReleaseIsRetriedWhileOtherHoldsKeepTheSharedLeaseAlive() throws Exception {
        String keeper = EtcdTestSupport.newLockId("shared-keeper");
        String a = EtcdTestSupport.newLockId("shared-failed-release");
        Mutex<String> keeperMutex = Mutex.of(keeper, TTL, driver);
        Held keeperHold = keeperMutex.lock();
        Mutex<String> mutexA = Mutex.of(a, TTL, driver);
        mutexA.lock();
        assertThat(EtcdTestSupport.keyValue(a).getLease()).isEqualTo(EtcdTestSupport.keyValue(keeper).getLease());

        faults.failDeletes(EtcdTestSupport.key(a), 2);
        mutexA.unlock();
        assertThat(faults.injected()).as("the release's delete failed").isGreaterThanOrEqualTo(1);

        await("a's key deleted by a retry while the keeper holds the shared lease").atMost(SLACK)
                .until(() -> EtcdTestSupport.keyValue(a) == null);
        assertThat(faults.injected()).isEqualTo(2);
        assertThat(keeperHold.isLost()).isFalse();
        assertThat(EtcdTestSupport.keyValue(keeper).getCreateRevision()).isEqualTo(keeperHold.fencingToken());
        Optional<Lease> rivalA = rival.acquire(a, TTL, TIMEOUT);
        assertThat(rivalA).as("a is free for others").isPresent();
        rival.release(rivalA.get());
        keeperMutex.unlock();
    }

    /**
     * Issue 12, item 3: an acquire whose transaction etcd applied but whose answer was lost (a reset
     * after the send) left its key on the shared lease, kept alive by the other holds: the lock stayed
     * taken with no holder. The driver now looks for its key (by the attempt's own value) and deletes it.
     */
    @Test
    void anAcquireWhoseAnswerIsLostLeavesNoKeyBehind() throws Exception {
        String keeper = EtcdTestSupport.newLockId("uncertain-keeper");
        String c = EtcdTestSupport.newLockId("uncertain-reset");
        Mutex<String> keeperMutex = Mutex.of(keeper, TTL, driver);
        Held keeperHold = keeperMutex.lock();

        faults.loseAnswerToPut(EtcdTestSupport.key(c));
        Throwable failure = catchThrowable(() -> driver.acquire(c, TTL, TIMEOUT));
        assertThat(failure).isInstanceOf(DriverException.class);
        assertThat(faults.injected()).isEqualTo(1);

        await("the key of the failed acquire deleted while the keeper holds the shared lease").atMost(SLACK)
                .until(() -> EtcdTestSupport.keyValue(c) == null);
        assertThat(keeperHold.isLost()).isFalse();
        Optional<Lease> rivalC = rival.acquire(c, TTL, TIMEOUT);
        assertThat(rivalC).as("c is free for others").isPresent();
        rival.release(rivalC.get());
        keeperMutex.unlock();
    }

    /** Issue 12, item 3: the same when the answer never comes and the acquire times out. */
    @Test
    void anAcquireThatTimesOutAfterItsKeyWasWrittenLeavesNoKeyBehind() throws Exception {
        String keeper = EtcdTestSupport.newLockId("timeout-keeper");
        String c = EtcdTestSupport.newLockId("uncertain-timeout");
        Mutex<String> keeperMutex = Mutex.of(keeper, TTL, driver);
        Held keeperHold = keeperMutex.lock();

        TxnFaults.Gate gate = faults.holdAnswerToPut(EtcdTestSupport.key(c));
        try {
            Throwable failure = catchThrowable(() -> driver.acquire(c, TTL, Duration.ofMillis(500)));
            assertThat(failure).isInstanceOf(DriverException.class).hasRootCauseInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(EtcdTestSupport.keyValue(c)).as("etcd applied the acquire").isNotNull();

            await("the key of the timed-out acquire deleted while its answer is still missing").atMost(SLACK)
                    .until(() -> EtcdTestSupport.keyValue(c) == null);
            assertThat(keeperHold.isLost()).isFalse();
            Optional<Lease> rivalC = rival.acquire(c, TTL, TIMEOUT);
            assertThat(rivalC).as("c is free for others").isPresent();
            rival.release(rivalC.get());
        } finally {
            gate.open();
        }
        keeperMutex.unlock();
    }

    /** Issue 12, item 3: the same when the acquiring thread is interrupted while the answer is on its way. */
    @Test
    void anAcquireInterruptedAfterItsKeyWasWrittenLeavesNoKeyBehind() throws Exception {
        String keeper = EtcdTestSupport.newLockId("interrupt-keeper");
        String c = EtcdTestSupport.newLockId("uncertain-interrupt");
        Mutex<String> keeperMutex = Mutex.of(keeper, TTL, driver);
        Held keeperHold = keeperMutex.lock();

        TxnFaults.Gate gate = faults.holdAnswerToPut(EtcdTestSupport.key(c));
        try {
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread acquiring = new Thread(() -> outcome.complete(catchThrowable(() -> driver.acquire(c, TTL, TIMEOUT))));
            acquiring.start();
            await("etcd applied the acquire").atMost(SLACK).until(() -> EtcdTestSupport.keyValue(c) != null && gate.answered());
            acquiring.interrupt();
            assertThat(outcome.get(SLACK.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);

            await("the key of the interrupted acquire deleted while its answer is still missing").atMost(SLACK)
                    .until(() -> EtcdTestSupport.keyValue(c) == null);
            assertThat(keeperHold.isLost()).isFalse();
            Optional<Lease> rivalC = rival.acquire(c, TTL, TIMEOUT);
            assertThat(rivalC).as("c is free for others").isPresent();
            rival.release(rivalC.get());
        } finally {
            gate.open();
        }
        keeperMutex.unlock();
    }
}
