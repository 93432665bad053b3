package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Core semantics that need a driver that fails on command or a ticker that only moves when told. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutexTest {
    private static final Duration TTL = Duration.ofSeconds(3);

    @Test
    void acquireErrorIsThrownCountedAndLeavesTheMutexUsable() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.of("orders", TTL, driver);
        driver.acquireError = new DriverException("scripted 127.0.0.1:1", "orders", "acquire", new java.io.IOException("connection refused"));
        assertThatThrownBy(m::tryLock).isInstanceOf(DriverException.class)
                .hasMessageContaining("scripted 127.0.0.1:1").hasMessageContaining("orders").hasMessageContaining("acquire")
                .hasRootCauseInstanceOf(java.io.IOException.class);
        assertThat(m.stats().lockFailed()).isEqualTo(1);
        assertThat(m.isHeld()).isFalse();
        driver.acquireError = null;
        assertThat(m.tryLock()).isPresent();
        m.unlock();
    }

    @Test
    void renewalErrorAloneIsNotALossButTheLocalDeadlineIs() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        AtomicReference<Loss> loss = new AtomicReference<>();
        Mutex<String> m = Mutex.builder("jobs", TTL, driver)
                .renewPeriod(Duration.ofMillis(50)).driftMargin(Duration.ofMillis(100))
                .ticker(ticker).onLost(loss::set).build();
        Held held = m.lock();
        driver.refreshError = new DriverException("scripted", "jobs", "refresh", new java.io.IOException("timeout"));
        await().atMost(Duration.ofSeconds(10)).until(() -> m.stats().renewFailed() >= 3);
        assertThat(m.isHeld()).as("errors alone keep the hold until the deadline").isTrue();
        assertThat(held.isLost()).isFalse();
        assertThat(loss.get()).isNull();

        ticker.advance(TTL.minus(Duration.ofMillis(100)));
        assertThat(m.isHeld()).as("never held at or after the local deadline").isFalse();
        assertThat(held.isLost()).isTrue();
        assertThat(held.lossReason()).contains(LossReason.DEADLINE_PASSED);
        await().atMost(Duration.ofSeconds(5)).until(() -> loss.get() != null);
        assertThat(loss.get().reason()).isEqualTo(LossReason.DEADLINE_PASSED);
        assertThat(loss.get().cause()).containsInstanceOf(DriverException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> driver.releases.get() == 1);
    }

    @Test
    void deadlineIsMeasuredFromWhenTheLastSuccessfulRefreshWasSent() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        Mutex<String> m = Mutex.builder("sent", TTL, driver).renewPeriod(Duration.ofMillis(50))
                .driftMargin(Duration.ZERO).ticker(ticker).build();
        m.lock();
        ticker.advance(Duration.ofSeconds(2));
        int before = driver.refreshes.get();
        await().atMost(Duration.ofSeconds(5)).until(() -> m.stats().renewSuccess() > 0 && driver.refreshes.get() > before);
        driver.refreshError = new DriverException("scripted", "sent", "refresh", null);
        int failing = driver.refreshes.get();
        await().atMost(Duration.ofSeconds(5)).until(() -> driver.refreshes.get() > failing + 1);
        // Renewed at t=2s, so the deadline is now t=5s: still held at 4.9 s, lost at 5 s.
        ticker.advance(Duration.ofMillis(2900));
        assertThat(m.isHeld()).isTrue();
        ticker.advance(Duration.ofMillis(100));
        assertThat(m.isHeld()).isFalse();
    }

    @Test
    void lossReportedDuringRenewalCarriesTheDriversReason() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        AtomicReference<Loss> loss = new AtomicReference<>();
        Mutex<String> m = Mutex.builder("renew-loss", TTL, driver).renewPeriod(Duration.ofMillis(50)).onLost(loss::set).build();
        Held held = m.lock();
        driver.refreshError = new LockLostException("renew-loss", LossReason.TAKEN_OVER, "owned by another");
        await().atMost(Duration.ofSeconds(5)).until(() -> loss.get() != null);
        assertThat(loss.get().reason()).isEqualTo(LossReason.TAKEN_OVER);
        assertThat(held.lossReason()).contains(LossReason.TAKEN_OVER);
        assertThat(m.stats().renewFailed()).as("a loss is not a renewal failure").isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> driver.releases.get() == 1);
    }

    @Test
    void lossIsIdempotentWhenReportedTwice() throws Exception {
        FakeTicker ticker = new FakeTicker();
        FakeScheduler scheduler = new FakeScheduler(ticker);
        ScriptedDriver driver = new ScriptedDriver(ticker);
        driver.asyncLeases = true; // the refresh answers on the advancing thread
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger lostEvents = new AtomicInteger();
        Mutex<String> m = Mutex.builder("twice", TTL, driver).ticker(ticker).scheduler(scheduler).renewPeriod(Duration.ofMillis(20))
                .onLost(calls::incrementAndGet)
                .listener(new MutexListener() {
                    @Override
                    public void lost(Mutex<?> mutex, Loss loss) {
                        lostEvents.incrementAndGet();
                    }
                })
                .build();
        m.lock();
        // Both the next refresh and then the lease's lost() report the loss.
        driver.refreshError = new LockLostException("twice", LossReason.GONE, "deleted");
        scheduler.advance(Duration.ofMillis(20));
        assertThat(m.stats().lockLost()).as("the refresh's report").isEqualTo(1);
        driver.backend.revoke("twice");
        scheduler.advance(TTL);
        assertThat(lostEvents.get()).as("one loss declared, though reported twice").isEqualTo(1);
        assertThat(m.stats().lockLost()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1 && driver.releases.get() == 1);
    }

    @Test
    void unlockRacingLossReleasesExactlyOnce() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        AtomicInteger losses = new AtomicInteger();
        Mutex<String> m = Mutex.builder("race", TTL, driver).onLost(losses::incrementAndGet).build();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int rounds = 200;
        int unlocked = 0;
        try {
            for (int i = 0; i < rounds; i++) {
                m.lock();
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Boolean> unlock = pool.submit(() -> {
                    start.await();
                    try {
                        m.unlock();
                        return true;
                    } catch (AlreadyReleasedException e) {
                        return false;
                    }
                });
                Future<?> revoke = pool.submit(() -> {
                    start.await();
                    return driver.backend.revoke("race");
                });
                revoke.get();
                if (unlock.get()) {
                    unlocked++;
                }
                // Polled at once and often: Awaitility's default first look after 100 ms made 200 rounds take 24 s.
                await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(30))
                        .until(() -> !m.isHeld() && driver.releases.get() == m.stats().lockAcquired());
            }
        } finally {
            pool.shutdownNow();
        }
        int ended = unlocked;
        await().atMost(Duration.ofSeconds(30)).until(() -> losses.get() + ended == rounds);
        assertThat(driver.releases.get()).as("release exactly once per acquisition").isEqualTo(rounds);
        assertThat(m.stats().lockReleased() + m.stats().lockLost()).isEqualTo(rounds);
    }

    @Test
    void aThrowingListenerBlocksNeitherTheOthersNorTheLock() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        AtomicInteger second = new AtomicInteger();
        Mutex<String> m = Mutex.builder("guarded", TTL, driver)
                .onLost(() -> {
                    throw new IllegalStateException("listener bug");
                })
                .onLost(second::incrementAndGet)
                .build();
        m.lock();
        driver.backend.revoke("guarded");
        await().atMost(Duration.ofSeconds(5)).until(() -> second.get() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> driver.releases.get() == 1);
        assertThat(m.tryLock()).isPresent();
        m.unlock();
    }

    @Test
    void renewalNeverOutlivesUnlock() throws Exception {
        renewalStopsAtUnlock(false);
    }

    @Test
    void unlockInterruptsAHungRefreshAndStillReleases() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.builder("hung", TTL, driver).renewPeriod(Duration.ofMillis(20)).build();
        m.lock();
        driver.refreshGate = new CountDownLatch(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> driver.refreshes.get() >= 1);
        m.unlock();
        assertThat(driver.releases.get()).isEqualTo(1);
        assertThat(driver.backend.isLocked("hung")).isFalse();
    }

    @Test
    void aHungRefreshIsBoundedByTheRenewTimeoutAndCountedAsFailed() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.builder("slow", TTL, driver).renewPeriod(Duration.ofMillis(50)).renewTimeout(Duration.ofMillis(100)).build();
        m.lock();
        driver.refreshGate = new CountDownLatch(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> m.stats().renewFailed() >= 2);
        driver.refreshGate = null;
        await().atMost(Duration.ofSeconds(5)).until(() -> m.stats().renewSuccess() >= 1);
        assertThat(m.isHeld()).isTrue();
        m.unlock();
    }

    @Test
    void oneSlowBackendDoesNotDelayOtherLocks() throws Exception {
        ScriptedDriver slow = new ScriptedDriver();
        ScriptedDriver fast = new ScriptedDriver();
        Mutex<String> stuck = Mutex.builder("stuck", Duration.ofSeconds(30), slow).renewPeriod(Duration.ofMillis(20)).build();
        Mutex<String> healthy = Mutex.builder("healthy", TTL, fast).renewPeriod(Duration.ofMillis(20)).build();
        stuck.lock();
        slow.refreshGate = new CountDownLatch(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> slow.refreshes.get() >= 1);
        healthy.lock();
        await().atMost(Duration.ofSeconds(5)).until(() -> healthy.stats().renewSuccess() >= 10);
        slow.refreshGate.countDown();
        stuck.unlock();
        healthy.unlock();
    }

    @Test
    void allMutexesShareOneTimerThread() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        List<Mutex<String>> held = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Mutex<String> m = Mutex.builder("many-" + i, TTL, driver).renewPeriod(Duration.ofMillis(50)).build();
            m.lock();
            held.add(m);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> held.stream().allMatch(m -> m.stats().renewSuccess() > 0));
        long timers = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("robit-timer")).count();
        assertThat(timers).isEqualTo(1);
        for (Mutex<String> m : held) {
            m.unlock();
        }
    }

    @Test
    void statsTrackHoldTimeWithTheTicker() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        Mutex<String> m = Mutex.builder("stats", Duration.ofMinutes(5), driver).ticker(ticker).build();
        m.lock();
        ticker.advance(Duration.ofSeconds(7));
        Stats during = m.stats();
        assertThat(during.totalHoldTime()).isEqualTo(Duration.ofSeconds(7));
        assertThat(during.holdSince()).isPresent();
        m.unlock();
        ticker.advance(Duration.ofSeconds(100));
        m.lock();
        ticker.advance(Duration.ofSeconds(3));
        m.unlock();
        Stats after = m.stats();
        assertThat(after.totalHoldTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(after.holdSince()).isEmpty();
        assertThat(after.lockAcquired()).isEqualTo(2);
        assertThat(after.lockReleased()).isEqualTo(2);
    }

    @Test
    void lostFutureIsADefensiveCopy() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.of("copy", TTL, driver);
        Held held = m.lock();
        held.lost().complete(null);
        assertThat(held.lost()).isNotDone();
        assertThat(held.isLost()).isFalse();
        assertThat(m.isHeld()).isTrue();
        m.unlock();
    }

    @Test
    void interruptBeforeWaitingThrowsAndHoldsNothing() {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.of("interrupted", TTL, driver);
        Thread.currentThread().interrupt();
        assertThatThrownBy(m::lock).isInstanceOf(InterruptedException.class);
        assertThat(m.isHeld()).isFalse();
        assertThat(driver.acquires.get()).isZero();
    }

    @Test
    void builderRejectsBadOptionsWithClearMessages() {
        ScriptedDriver driver = new ScriptedDriver();
        assertThatThrownBy(() -> Mutex.builder(null, TTL, driver)).isInstanceOf(NullPointerException.class).hasMessageContaining("lock id");
        assertThatThrownBy(() -> Mutex.builder("x", null, driver)).isInstanceOf(NullPointerException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> Mutex.builder("x", Duration.ZERO, driver)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be positive");
        assertThatThrownBy(() -> Mutex.builder("x", Duration.ofSeconds(-1), driver)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mutex.builder("x", TTL, null)).isInstanceOf(NullPointerException.class).hasMessageContaining("driver");
        assertThatThrownBy(() -> Mutex.builder("x", TTL, driver).renewPeriod(TTL).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewPeriod");
        assertThatThrownBy(() -> Mutex.builder("x", TTL, driver).renewPeriod(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mutex.builder("x", TTL, driver).driftMargin(TTL).build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("driftMargin");
        assertThatThrownBy(() -> Mutex.builder("x", TTL, driver).driftMargin(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mutex.builder("", TTL, driver).build()).as("the driver rejects the name at build time")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mutex.of("x", TTL, driver).tryLock(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mutex.builder("x", TTL, driver).scheduler(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("scheduler");
        assertThatThrownBy(() -> Mutex.builder("x", TTL, driver).refreshExecutor(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("refreshExecutor");
        assertThat(driver.acquires.get()).as("no I/O for bad input").isZero();
    }

    @Test
    void withLockRethrowsTheWorksExceptionAndUnlocks() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.of("work", TTL, driver);
        assertThatThrownBy(() -> m.withLock(Duration.ofSeconds(1), () -> {
            throw new java.io.IOException("disk full");
        })).isInstanceOf(java.io.IOException.class).hasMessage("disk full");
        assertThat(m.isHeld()).isFalse();
        assertThat(m.stats().lockReleased()).isEqualTo(1);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void unlockAfterTheDeadlineReportsTheLossInstead() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        AtomicInteger lost = new AtomicInteger();
        Mutex<String> m = Mutex.builder("late", TTL, driver).ticker(ticker).onLost(lost::incrementAndGet).build();
        m.lock();
        ticker.advance(TTL);
        assertThatThrownBy(m::unlock).isInstanceOf(AlreadyReleasedException.class).hasMessageContaining("lost");
        await().atMost(Duration.ofSeconds(5)).until(() -> lost.get() == 1);
        assertThat(driver.releases.get()).isEqualTo(1);
    }

    @Test
    void aShorterTtlGuaranteedByTheBackendShortensTheDeadlineAndTheRenewPeriod() throws Exception {
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        driver.guaranteedTtl = Duration.ofSeconds(1);
        Mutex<String> m = Mutex.builder("short", Duration.ofSeconds(30), driver).driftMargin(Duration.ZERO).ticker(ticker).build();
        m.lock();
        ticker.advance(Duration.ofMillis(999));
        assertThat(m.isHeld()).isTrue();
        ticker.advance(Duration.ofMillis(1));
        assertThat(m.isHeld()).as("trusted for what the backend guarantees, not the 30 s asked").isFalse();

        ScriptedDriver real = new ScriptedDriver();
        real.guaranteedTtl = Duration.ofMillis(600);
        Mutex<String> renewing = Mutex.of("short-renewing", Duration.ofSeconds(30), real);
        renewing.lock();
        await().atMost(Duration.ofSeconds(5)).until(() -> renewing.stats().renewSuccess() >= 3);
        assertThat(renewing.isHeld()).as("renewed every 200 ms, not every 10 s").isTrue();
        renewing.unlock();
    }

    @Test
    void aTtlOfHoursOverABackendThatGuaranteesSecondsIsHeldAtOnce() throws Exception {
        // Regression (issue 12, item 8): the default drift margin, 1% of a 2 h ttl (72 s), was taken
        // whole from a 20 s guarantee, so every acquire came back "expired on arrival" and was released.
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        driver.guaranteedTtl = Duration.ofSeconds(20);
        Mutex<String> m = Mutex.builder("long-job", Duration.ofHours(2), driver).ticker(ticker).build();
        Held held = m.tryLock().orElseThrow();
        assertThat(driver.releases.get()).as("the grant was kept, not given back").isZero();
        assertThat(held.isLost()).isFalse();
        // Trusted for the 20 s guarantee less the same 1% (+2 ms scaled) margin, 19.8 s, not for 2 h.
        ticker.advance(Duration.ofMillis(19_790));
        assertThat(m.isHeld()).isTrue();
        ticker.advance(Duration.ofMillis(20));
        assertThat(m.isHeld()).as("not trusted past the backend's guarantee less the scaled margin").isFalse();
    }

    @Test
    void asyncRenewalIsBoundedByTheRenewTimeoutAndReportsLossReasons() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        driver.asyncLeases = true;
        AtomicReference<Loss> loss = new AtomicReference<>();
        Mutex<String> m = Mutex.builder("async", TTL, driver).renewPeriod(Duration.ofMillis(50))
                .renewTimeout(Duration.ofMillis(100)).onLost(loss::set).build();
        m.lock();
        await().atMost(Duration.ofSeconds(5)).until(() -> m.stats().renewSuccess() >= 2);
        driver.hangAsync = true;
        await().atMost(Duration.ofSeconds(5)).until(() -> m.stats().renewFailed() >= 2);
        assertThat(m.isHeld()).as("a hung renewal alone is not a loss").isTrue();
        driver.hangAsync = false;
        long ok = m.stats().renewSuccess();
        await().atMost(Duration.ofSeconds(5)).until(() -> m.stats().renewSuccess() > ok);
        driver.refreshError = new LockLostException("async", LossReason.TAKEN_OVER, "owned by another");
        await().atMost(Duration.ofSeconds(5)).until(() -> loss.get() != null);
        assertThat(loss.get().reason()).isEqualTo(LossReason.TAKEN_OVER);
        await().atMost(Duration.ofSeconds(5)).until(() -> driver.releases.get() == 1);
    }

    @Test
    void asyncRenewalNeverOutlivesUnlock() throws Exception {
        renewalStopsAtUnlock(true);
    }

    /** Renews three times on a fake clock, unlocks, then moves time far on: no refresh, no timer left. */
    private static void renewalStopsAtUnlock(boolean asyncLeases) throws Exception {
        FakeTicker ticker = new FakeTicker();
        FakeScheduler scheduler = new FakeScheduler(ticker);
        ScriptedDriver driver = new ScriptedDriver(ticker);
        driver.asyncLeases = asyncLeases;
        Mutex<String> m = Mutex.builder("stop", TTL, driver).ticker(ticker).scheduler(scheduler).renewPeriod(Duration.ofMillis(20)).build();
        m.lock();
        for (int renewals = 1; renewals <= 3; renewals++) {
            int expected = renewals;
            // A blocking refresh runs on a worker, which then schedules the next renewal on the fake scheduler.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> {
                scheduler.advance(Duration.ofMillis(20));
                return driver.refreshes.get() >= expected && m.stats().renewSuccess() >= expected;
            });
        }
        assertThat(m.isHeld()).isTrue();
        m.unlock();
        int after = driver.refreshes.get();
        scheduler.advance(TTL.multipliedBy(10));
        assertThat(driver.refreshes.get()).isEqualTo(after);
        assertThat(scheduler.pending()).as("no timer left behind").isZero();
        assertThat(driver.releases.get()).isEqualTo(1);
    }

    @Test
    void blockingRefreshesRunOnTheCallersRefreshExecutor() throws Exception {
        FakeTicker ticker = new FakeTicker();
        FakeScheduler scheduler = new FakeScheduler(ticker);
        ScriptedDriver driver = new ScriptedDriver(ticker);
        List<String> ranOn = new CopyOnWriteArrayList<>();
        Executor mine = task -> {
            ranOn.add(Thread.currentThread().getName());
            task.run(); // at once, on the thread that advances the scheduler
        };
        Mutex<String> m = Mutex.builder("own-pool", TTL, driver).ticker(ticker).scheduler(scheduler).refreshExecutor(mine).build();
        m.lock();
        for (int renewals = 1; renewals <= 3; renewals++) {
            scheduler.advance(TTL.dividedBy(3));
            assertThat(driver.refreshes).hasValue(renewals);
            assertThat(m.stats().renewSuccess()).isEqualTo(renewals);
        }
        assertThat(ranOn).containsExactly(Thread.currentThread().getName(), Thread.currentThread().getName(), Thread.currentThread().getName());
        assertThat(m.isHeld()).as("renewed past the first ttl").isTrue();
        m.unlock();
    }

    @Test
    void aRefreshTheExecutorRefusesIsAFailedRenewalRetriedUntilTheDeadline() throws Exception {
        FakeTicker ticker = new FakeTicker();
        FakeScheduler scheduler = new FakeScheduler(ticker);
        ScriptedDriver driver = new ScriptedDriver(ticker);
        AtomicBoolean refuse = new AtomicBoolean(true);
        Executor mine = task -> {
            if (refuse.get()) {
                throw new RejectedExecutionException("full");
            }
            task.run();
        };
        AtomicReference<Loss> loss = new AtomicReference<>();
        Mutex<String> m = Mutex.builder("refused", TTL, driver).ticker(ticker).scheduler(scheduler).refreshExecutor(mine)
                .onLost(loss::set).build();
        Held held = m.lock();
        scheduler.advance(TTL.dividedBy(3));
        assertThat(m.stats().renewFailed()).as("refused: a failed renewal, not a silent stop").isEqualTo(1);
        assertThat(driver.refreshes).hasValue(0);
        assertThat(held.isLost()).isFalse();
        refuse.set(false);
        scheduler.advance(TTL.dividedBy(3)); // the retry comes sooner than a period: half the time left
        assertThat(driver.refreshes).hasValue(1);
        assertThat(m.stats().renewSuccess()).isEqualTo(1);

        refuse.set(true);
        scheduler.advance(TTL.multipliedBy(2));
        assertThat(held.isLost()).as("refused until the deadline: lost").isTrue();
        assertThat(held.lossReason()).contains(LossReason.DEADLINE_PASSED);
        await().atMost(Duration.ofSeconds(5)).until(() -> loss.get() != null);
    }

    @Test
    void aSlowAcquireReplyDoesNotDelayTheLossNotice() throws Exception {
        // Found by the fault suite: the deadline counts from the send, so must the first renewal.
        FakeTicker ticker = new FakeTicker();
        ScriptedDriver driver = new ScriptedDriver(ticker);
        Duration ttl = Duration.ofSeconds(30);
        driver.duringAcquire = () -> ticker.advance(Duration.ofMillis(29_500)); // the reply took 29.5 s
        driver.refreshError = new DriverException("scripted", "slow-reply", "refresh", null);
        AtomicReference<Loss> loss = new AtomicReference<>();
        Mutex<String> m = Mutex.builder("slow-reply", ttl, driver).ticker(ticker).onLost(loss::set).build();
        m.lock();
        ticker.advance(Duration.ofSeconds(1)); // now past the local deadline (send + 30 s - 0.302 s)
        // The first renewal is due 10 s after the send, i.e. already; it arms the deadline check.
        // Had it been counted from the reply, no timer would look for 10 real seconds.
        await().atMost(Duration.ofSeconds(5)).until(() -> loss.get() != null);
        assertThat(loss.get().reason()).isEqualTo(LossReason.DEADLINE_PASSED);
    }
}
