package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.internal.Scheduling;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Regressions from the adversarial review of the lease machinery (deadline, renewal, release). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeaseReviewTest {

    /**
     * A blocking refresh that waited in the busy worker queue until after the local deadline must
     * not be sent and must not revive the hold: the lease may have lapsed before it was sent.
     */
    @Test
    void aRefreshDequeuedAfterTheLocalDeadlineDoesNotReviveTheHold() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        AtomicInteger lost = new AtomicInteger();
        // The backend keeps the lease 30 s; the holder trusts it 25 s (drift margin 5 s). Renewal
        // timers run in real time, so the 25 s deadline check (armed in real time) stays far away,
        // as when the timer thread is late.
        Mutex<String> m = Mutex.builder("review-queued", Duration.ofSeconds(30), driver)
                .renewPeriod(Duration.ofMillis(100)).renewTimeout(Duration.ofSeconds(30)).driftMargin(Duration.ofSeconds(5))
                .ticker(ticker).onLost(lost::incrementAndGet).build();
        ThreadPoolExecutor workers = (ThreadPoolExecutor) Scheduling.workers();
        CountDownLatch busy = new CountDownLatch(Scheduling.WORKERS);
        CountDownLatch free = new CountDownLatch(1);
        try {
            for (int i = 0; i < Scheduling.WORKERS; i++) {
                workers.execute(() -> {
                    busy.countDown();
                    try {
                        free.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            busy.await();
            Held held = m.lock();
            await("the first refresh waits in the worker queue").atMost(Duration.ofSeconds(10))
                    .until(() -> workers.getQueue().stream().anyMatch(task -> task.getClass().getName().contains("RefreshAttempt")));
            ticker.advance(Duration.ofSeconds(27)); // past the local deadline, before the backend's expiry
            free.countDown();
            // Either the hold is declared lost, or (the bug) refreshes go on renewing it.
            await().atMost(Duration.ofSeconds(10)).until(() -> lost.get() > 0 || driver.refreshes.get() >= 2);
            assertThat(held.isLost()).as("no renewal sent after the local deadline revives the hold").isTrue();
            assertThat(held.lossReason()).contains(LossReason.DEADLINE_PASSED);
            assertThat(m.isHeld()).isFalse();
            assertThat(driver.refreshes.get()).as("no refresh sent after the deadline").isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> driver.releases.get() == 1);
            assertThat(lost.get()).isEqualTo(1);
        } finally {
            free.countDown();
        }
    }
    /**
     * After the local deadline the mutex no longer holds its lock, even if the deadline timer has
     * not run yet: a new lock call must not be refused with "already held".
     */
    @Test
    void aLockCallAfterTheLocalDeadlineIsNotRefusedAsAlreadyHeld() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        AtomicInteger lost = new AtomicInteger();
        // Timers run in real time: the first renewal (and the deadline check) is 10 s away.
        Mutex<String> m = Mutex.builder("review-late-timer", Duration.ofSeconds(30), driver)
                .ticker(ticker).onLost(lost::incrementAndGet).build();
        Held first = m.lock();
        ticker.advance(Duration.ofSeconds(31)); // past the local deadline and the backend's expiry

        Held second = m.tryLock().orElseThrow();
        assertThat(first.isLost()).isTrue();
        assertThat(first.lossReason()).contains(LossReason.DEADLINE_PASSED);
        assertThat(second.isLost()).isFalse();
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        assertThat(m.isHeld()).isTrue();
        m.unlock();
        assertThat(driver.backend.isLocked("review-late-timer")).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> lost.get() == 1);
    }
    /**
     * A caller's callback on {@link Held#lost()} that blocks must not stall the JVM-wide timer
     * thread, which renews and checks the deadlines of every other hold.
     */
    @Test
    void aBlockingCallbackOnLostDoesNotStallOtherHolds() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver lostDriver = new ScriptedDriver(ticker);
        lostDriver.asyncLeases = true; // renewed on the timer thread, so its loss is declared there
        AtomicInteger lost = new AtomicInteger();
        Mutex<String> doomed = Mutex.builder("review-callback-doomed", Duration.ofSeconds(30), lostDriver)
                .renewPeriod(Duration.ofMillis(50)).driftMargin(Duration.ofSeconds(5)).ticker(ticker)
                .onLost(lost::incrementAndGet).build();
        ScriptedDriver otherDriver = new ScriptedDriver();
        Mutex<String> other = Mutex.builder("review-callback-other", Duration.ofSeconds(3), otherDriver)
                .renewPeriod(Duration.ofMillis(50)).build();
        Held doomedHold = doomed.lock();
        Held otherHold = other.lock();
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        doomedHold.lost().thenRun(() -> {
            inCallback.countDown();
            try {
                unblock.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            ticker.advance(Duration.ofSeconds(27)); // past the doomed hold's local deadline
            await().atMost(Duration.ofSeconds(10)).until(() -> inCallback.getCount() == 0);
            int before = otherDriver.refreshes.get();
            await("other holds keep renewing while a lost() callback blocks").atMost(Duration.ofSeconds(10))
                    .until(() -> otherDriver.refreshes.get() >= before + 3);
            assertThat(other.isHeld()).isTrue();
            await("onLost listeners are not held up either").atMost(Duration.ofSeconds(10)).until(() -> lost.get() == 1);
        } finally {
            unblock.countDown();
        }
        otherHold.close();
        assertThat(otherDriver.backend.isLocked("review-callback-other")).isFalse();
    }
    /** An Error thrown by one refresh is a failed renewal (logged, retried), not the end of renewing. */
    @Test
    void anErrorFromOneRefreshDoesNotStopRenewal() throws Exception {
        for (boolean async : new boolean[] {false, true}) {
            FakeTicker ticker = new FakeTicker(); // never moves: only the renewal chain is under test
            ScriptedDriver driver = new ScriptedDriver(ticker);
            driver.asyncLeases = async;
            Mutex<String> m = Mutex.builder("review-error-" + async, Duration.ofSeconds(30), driver)
                    .renewPeriod(Duration.ofMillis(50)).ticker(ticker).build();
            Held held = m.lock();
            driver.refreshErrorOnce = new NoClassDefFoundError("scripted");
            await().atMost(Duration.ofSeconds(10)).until(() -> driver.refreshErrorOnce == null);
            int after = driver.refreshes.get();
            await("renewal goes on after the error (async=" + async + ")").atMost(Duration.ofSeconds(10))
                    .until(() -> driver.refreshes.get() >= after + 3);
            assertThat(m.stats().renewFailed()).isEqualTo(1);
            assertThat(held.isLost()).isFalse();
            held.close();
        }
    }
}
