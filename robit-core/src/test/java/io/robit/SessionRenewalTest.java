package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Holds whose leases live on one session: renewed by the session's keep-alive, once for all of
 * them, on a fake clock and scheduler (no sleeps).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionRenewalTest {
    private static final Duration TTL = Duration.ofSeconds(3);
    private static final Duration PERIOD = Duration.ofSeconds(1);

    private final FakeTicker ticker = new FakeTicker();
    private final FakeScheduler scheduler = new FakeScheduler(ticker);

    private Mutex<String> mutex(String id, SessionDriver driver, AtomicInteger lossCount) {
        return Mutex.builder(id, TTL, driver).ticker(ticker).scheduler(scheduler).renewPeriod(PERIOD)
                .driftMargin(Duration.ZERO).onLost(loss -> lossCount.incrementAndGet()).build();
    }

    private Mutex<String> mutex(String id, SessionDriver driver, Executor refreshExecutor) {
        return Mutex.builder(id, TTL, driver).ticker(ticker).scheduler(scheduler).renewPeriod(PERIOD)
                .driftMargin(Duration.ZERO).refreshExecutor(refreshExecutor).build();
    }

    /** One worker thread that knows whether a task of its is queued or running. */
    private static final class CountingWorker implements Executor {
        private final ExecutorService thread = Executors.newSingleThreadExecutor();
        private final AtomicInteger busy = new AtomicInteger();

        @Override
        public void execute(Runnable task) {
            busy.incrementAndGet();
            thread.execute(() -> {
                try {
                    task.run();
                } finally {
                    busy.decrementAndGet();
                }
            });
        }

        /** Waits (generously: the host may be loaded) until every task given so far has finished. */
        void awaitIdle() {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> busy.get() == 0);
        }

        void shutdown() {
            thread.shutdownNow();
        }
    }

    @Test
    void twoHoldsOnOneSessionCostOneKeepAlivePerPeriod() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> first = mutex("first", driver, new AtomicInteger());
        Mutex<String> second = mutex("second", driver, new AtomicInteger());
        first.lock();
        second.lock();
        for (int period = 1; period <= 10; period++) {
            scheduler.advance(PERIOD);
            assertThat(driver.session.keepAlives.get()).as("keep-alives after %d periods", period).isEqualTo(period);
        }
        assertThat(first.isHeld()).as("held for 10 s on a 3 s ttl: the keep-alives renewed it").isTrue();
        assertThat(second.isHeld()).isTrue();
        assertThat(driver.refreshes.get()).as("no per-hold refresh").isZero();
        assertThat(first.stats().renewSuccess()).isEqualTo(10);
        first.unlock();
        scheduler.advance(PERIOD);
        assertThat(driver.session.keepAlives.get()).as("the session goes on for the hold left").isEqualTo(11);
        second.unlock();
        scheduler.advance(TTL.multipliedBy(5));
        assertThat(driver.session.keepAlives.get()).as("no keep-alive once no hold is on the session").isEqualTo(11);
        assertThat(scheduler.pending()).as("no timer left behind").isZero();
        assertThat(driver.releases.get()).isEqualTo(2);
    }

    @Test
    void aBlockingSessionIsAlsoKeptAliveOncePerPeriodForAllItsHolds() throws Exception {
        SessionDriver driver = new SessionDriver(false);
        // The blocking keep-alive runs on a real worker thread, which then schedules the next one on
        // the fake scheduler. Time moves on only while that worker is idle: advanced while a keep-alive
        // waited for a busy CPU, it let the watchdog (renewTimeout) or a deadline pass, and the holds
        // were lost on a loaded host.
        CountingWorker worker = new CountingWorker();
        try {
            List<Mutex<String>> mutexes = List.of(mutex("a", driver, worker), mutex("b", driver, worker), mutex("c", driver, worker));
            for (Mutex<String> m : mutexes) {
                m.lock();
            }
            for (int step = 0; step < 100 && mutexes.stream().anyMatch(m -> m.stats().renewSuccess() < 5); step++) {
                scheduler.advance(Duration.ofMillis(100));
                worker.awaitIdle();
            }
            assertThat(mutexes).as("every hold renewed 5 times within 10 s of fake time")
                    .allMatch(m -> m.stats().renewSuccess() == 5);
            assertThat(driver.session.keepAlives.get()).as("one keep-alive per period for three holds, not three").isEqualTo(5);
            for (Mutex<String> m : mutexes) {
                assertThat(m.isHeld()).isTrue();
                m.unlock();
            }
            assertThat(driver.refreshes.get()).isZero();
            int sent = driver.session.keepAlives.get();
            scheduler.advance(PERIOD); // the renewal stays until its next keep-alive is due, then stops
            worker.awaitIdle();
            assertThat(driver.session.keepAlives.get()).as("no keep-alive once no hold is on the session").isEqualTo(sent);
            assertThat(scheduler.pending()).isZero();
        } finally {
            worker.shutdown();
        }
    }

    @Test
    void aLateKeepAliveReplyExtendsOnlyFromItsSendTime() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> m = mutex("late", driver, new AtomicInteger());
        long start = ticker.read();
        m.lock(); // local deadline: start + 3 s
        driver.session.holdReplies = true;
        scheduler.advance(PERIOD); // the keep-alive is sent at start + 1 s
        assertThat(driver.session.heldReplies).hasSize(1);
        ticker.advance(Duration.ofMillis(1_500)); // its reply arrives at start + 2.5 s
        driver.session.holdReplies = false;
        driver.session.failure = new DriverException("scripted", "session", "keep-alive", null); // and none succeeds after it
        driver.session.heldReplies.poll().complete(Duration.ofMinutes(1));
        // Extended to send + ttl = start + 4 s; counted from the reply it would be start + 5.5 s.
        scheduler.advance(Duration.ofNanos(start + TTL.toNanos() + PERIOD.toNanos() - 1 - ticker.read()));
        assertThat(m.isHeld()).as("just before send + ttl").isTrue();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(m.isHeld()).as("at send + ttl").isFalse();
        assertThat(m.stats().lockLost()).isEqualTo(1);
    }

    @Test
    void aHoldThatJoinsAfterAKeepAliveWasSentIsNotExtendedByIt() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> early = mutex("early", driver, new AtomicInteger());
        long start = ticker.read();
        early.lock(); // deadline start + 3 s
        driver.session.holdReplies = true;
        scheduler.advance(Duration.ofMillis(900));
        // The joiner's acquire is sent at start + 0.9 s; while it is under way the session's
        // keep-alive is sent (start + 1 s), and the joiner joins after that. A driver whose leases
        // have keys of their own (Redis) did not include the joiner's key in that keep-alive.
        Driver<String> slowAcquire = new Driver<>() {
            @Override
            public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) {
                scheduler.advance(Duration.ofMillis(100));
                return driver.acquire(id, ttl, timeout);
            }

            @Override
            public void release(Lease lease) {
                driver.release(lease);
            }
        };
        Mutex<String> joiner = Mutex.builder("joiner", TTL, slowAcquire).ticker(ticker).scheduler(scheduler).renewPeriod(PERIOD)
                .driftMargin(Duration.ZERO).build();
        joiner.lock(); // deadline start + 0.9 s + 3 s
        assertThat(driver.session.heldReplies).hasSize(1);
        driver.session.holdReplies = false;
        driver.session.failure = new DriverException("scripted", "session", "keep-alive", null); // none succeeds after it
        driver.session.heldReplies.poll().complete(Duration.ofMinutes(1));
        scheduler.advance(Duration.ofNanos(start + Duration.ofMillis(3_900).toNanos() - 1 - ticker.read()));
        assertThat(joiner.isHeld()).as("just before its own acquire's deadline").isTrue();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(joiner.isHeld()).as("at its acquire's deadline: the keep-alive sent before it joined did not extend it").isFalse();
        assertThat(early.isHeld()).as("the hold that was on the session is extended to send + ttl (start + 4 s)").isTrue();
        scheduler.advance(Duration.ofMillis(100));
        assertThat(early.isHeld()).isFalse();
    }

    @Test
    void theSessionGuaranteeBoundsTheDeadlineWhenShorterThanTheTtl() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        driver.session.guarantee = Duration.ofMillis(1_200);
        Mutex<String> m = mutex("short-session", driver, new AtomicInteger());
        long start = ticker.read();
        m.lock();
        // Sent at +1 s, then every 400 ms (a third of the guarantee): the last before +3.5 s at +3.4 s.
        scheduler.advance(Duration.ofMillis(3_500));
        assertThat(driver.session.keepAlives.get()).as("kept alive every third of what the session guarantees").isEqualTo(7);
        driver.session.failure = new DriverException("scripted", "session", "keep-alive", null);
        scheduler.advance(Duration.ofNanos(start + Duration.ofMillis(4_600).toNanos() - 1 - ticker.read()));
        assertThat(m.isHeld()).isTrue();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(m.isHeld()).as("the session was only guaranteed until +3.4 s + 1.2 s, not + the 3 s ttl").isFalse();
    }

    @Test
    void aLostSessionTellsEachHoldOnItOnce() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        AtomicInteger[] told = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        List<Mutex<String>> mutexes = List.of(mutex("x", driver, told[0]), mutex("y", driver, told[1]), mutex("z", driver, told[2]));
        for (Mutex<String> m : mutexes) {
            m.lock();
        }
        scheduler.advance(PERIOD);
        driver.session.end(); // lost() completes; later keep-alives would say "gone" too
        scheduler.advance(TTL.multipliedBy(3));
        await().atMost(Duration.ofSeconds(10)).until(() -> driver.releases.get() == 3 && told[0].get() + told[1].get() + told[2].get() == 3);
        for (int i = 0; i < 3; i++) {
            assertThat(told[i].get()).as("hold %d told once", i).isEqualTo(1);
            assertThat(mutexes.get(i).stats().lockLost()).isEqualTo(1);
            assertThat(mutexes.get(i).isHeld()).isFalse();
        }
        assertThat(driver.session.keepAlives.get()).as("no keep-alive after the loss").isEqualTo(1);
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void lockUnlockChurnAddsNoCallbacksToTheSessionAndALaterLossStillReachesEveryHold() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> churn = mutex("churn", driver, new AtomicInteger());
        for (int i = 0; i < 1_000; i++) {
            churn.lock(); // the first hold on the session starts its renewal, the unlock ends it
            churn.unlock();
        }
        assertThat(driver.session.lost().getNumberOfDependents())
                .as("one callback on the session's lost() for its whole life, not one per renewal").isLessThanOrEqualTo(1);

        AtomicInteger told = new AtomicInteger();
        Mutex<String> held = mutex("held", driver, told);
        held.lock();
        driver.session.end();
        await().atMost(Duration.ofSeconds(10)).until(() -> told.get() == 1);
        assertThat(held.isHeld()).isFalse();

        AtomicInteger toldLate = new AtomicInteger();
        Mutex<String> late = mutex("late", driver, toldLate);
        late.lock(); // granted on a session already lost: told at once
        await().atMost(Duration.ofSeconds(10)).until(() -> toldLate.get() == 1);
        assertThat(told.get()).as("the first hold was told once").isEqualTo(1);
    }

    @Test
    void aKeepAliveThatSaysTheSessionIsGoneTellsEachHoldOnce() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        AtomicInteger toldA = new AtomicInteger();
        AtomicInteger toldB = new AtomicInteger();
        AtomicReference<Loss> loss = new AtomicReference<>();
        Mutex<String> a = Mutex.builder("a", TTL, driver).ticker(ticker).scheduler(scheduler).renewPeriod(PERIOD)
                .onLost(l -> {
                    loss.set(l);
                    toldA.incrementAndGet();
                }).build();
        Mutex<String> b = mutex("b", driver, toldB);
        a.lock();
        b.lock();
        driver.session.goneOnKeepAlive = true;
        scheduler.advance(PERIOD);
        scheduler.advance(TTL.multipliedBy(3));
        await().atMost(Duration.ofSeconds(10)).until(() -> toldA.get() == 1 && toldB.get() == 1 && driver.releases.get() == 2);
        assertThat(loss.get().reason()).isEqualTo(LossReason.EXPIRED);
        assertThat(loss.get().lockId()).isEqualTo("a");
        assertThat(toldA.get() + toldB.get()).isEqualTo(2);
        assertThat(driver.session.keepAlives.get()).isEqualTo(1);
    }

    @Test
    void anUnlockDuringAKeepAliveIsNotReportedAsALoss() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        AtomicInteger toldLeaving = new AtomicInteger();
        AtomicInteger toldStaying = new AtomicInteger();
        Mutex<String> leaving = mutex("leaving", driver, toldLeaving);
        Mutex<String> staying = mutex("staying", driver, toldStaying);
        leaving.lock();
        staying.lock();
        driver.session.holdReplies = true;
        scheduler.advance(PERIOD); // a keep-alive is in flight
        leaving.unlock(); // returns without waiting for the session's keep-alive
        assertThat(driver.releases.get()).isEqualTo(1);
        CompletableFuture<Duration> reply = driver.session.heldReplies.poll();
        reply.completeExceptionally(SessionDriver.Session.gone()); // it answers: the session is gone
        await().atMost(Duration.ofSeconds(10)).until(() -> toldStaying.get() == 1 && driver.releases.get() == 2);
        assertThat(toldLeaving.get()).as("the unlocked hold is not told").isZero();
        assertThat(leaving.stats().lockLost()).isZero();
        assertThat(leaving.stats().lockReleased()).isEqualTo(1);
    }

    @Test
    void aLeaseLostOnItsOwnEndsOnlyItsHold() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        AtomicInteger toldBroken = new AtomicInteger();
        AtomicInteger toldOther = new AtomicInteger();
        Mutex<String> broken = mutex("broken", driver, toldBroken);
        Mutex<String> other = mutex("other", driver, toldOther);
        Held brokenHold = broken.lock();
        other.lock();
        SessionDriver.OnSession lease = findLease(driver, brokenHold);
        driver.breakLease(lease);
        scheduler.advance(PERIOD.multipliedBy(6));
        await().atMost(Duration.ofSeconds(10)).until(() -> toldBroken.get() == 1);
        assertThat(broken.isHeld()).isFalse();
        assertThat(other.isHeld()).as("the session and the other hold on it live on").isTrue();
        assertThat(toldOther.get()).isZero();
        assertThat(driver.session.keepAlives.get()).isEqualTo(6);
        other.unlock();
    }

    @Test
    void aHoldTakenOnAnAlreadyLostSessionIsLostAtOnce() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        driver.session.end();
        AtomicInteger told = new AtomicInteger();
        Mutex<String> m = mutex("late-joiner", driver, told);
        m.lock();
        assertThat(m.isHeld()).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> told.get() == 1 && driver.releases.get() == 1);
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void aFailedKeepAliveIsRetriedAndASuccessBeforeTheDeadlineKeepsEveryHold() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> a = mutex("retry-a", driver, new AtomicInteger());
        Mutex<String> b = mutex("retry-b", driver, new AtomicInteger());
        a.lock();
        b.lock();
        driver.session.failure = new DriverException("scripted", "session", "keep-alive", null);
        scheduler.advance(PERIOD.multipliedBy(2)); // failures at +1 s, then retries sooner
        assertThat(driver.session.keepAlives.get()).as("failed at +1 s, retried at +2 s").isEqualTo(2);
        assertThat(a.stats().renewFailed()).isPositive();
        driver.session.failure = null;
        scheduler.advance(Duration.ofMillis(900)); // the deadline is at +3 s; the retry at +2.5 s succeeds
        assertThat(a.isHeld()).isTrue();
        assertThat(b.isHeld()).isTrue();
        scheduler.advance(TTL.multipliedBy(3));
        assertThat(a.isHeld()).isTrue();
        a.unlock();
        b.unlock();
        scheduler.advance(PERIOD);
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void lockUnlockChurnReusesOneRenewalAndSchedulesNoTimerPerPair() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> churn = mutex("reuse", driver, new AtomicInteger());
        for (int i = 0; i < 1_000; i++) {
            churn.lock();
            churn.unlock();
        }
        assertThat(scheduler.scheduled()).as("timer tasks scheduled for 1,000 lock+unlock pairs: the first hold's keep-alive and deadline")
                .isLessThanOrEqualTo(2);
        scheduler.advance(PERIOD);
        assertThat(driver.session.keepAlives.get()).as("nobody held when the keep-alive came due: none sent").isZero();
        assertThat(scheduler.pending()).as("the renewal stopped then").isZero();
    }

    @Test
    void aHoldThatJoinsALingeringRenewalIsKeptAliveAndLostAtItsOwnDeadline() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        AtomicInteger told = new AtomicInteger();
        Mutex<String> m = mutex("linger", driver, told);
        m.lock();
        m.unlock(); // the renewal stays, its keep-alive due at +1 s and its deadline check at +3 s
        scheduler.advance(Duration.ofMillis(500));
        m.lock(); // joins it at +0.5 s
        scheduler.advance(PERIOD.multipliedBy(10));
        assertThat(driver.session.keepAlives.get()).as("one keep-alive per period").isEqualTo(10);
        assertThat(m.stats().renewSuccess()).isEqualTo(10);
        assertThat(told.get()).isZero();
        long lastSent = ticker.read() - Duration.ofMillis(500).toNanos(); // the keep-alive at +10 s
        driver.session.failure = new DriverException("scripted", "session", "keep-alive", null);
        scheduler.advance(Duration.ofNanos(lastSent + TTL.toNanos() - 1 - ticker.read()));
        assertThat(m.stats().lockLost()).as("just before the last keep-alive's send + ttl").isZero();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(m.stats().lockLost()).as("lost by the deadline timer at send + ttl").isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> told.get() == 1 && driver.releases.get() == 2);
    }

    /**
     * A keep-alive's answer extends the holds and finds the nearest deadline in one walk over the
     * members, outside the lock; a hold that joins during that walk (here: from a listener that the
     * walk calls) arms the deadline check for itself, and the walk must not replace that check with
     * one at a later deadline it computed without the newcomer. Repeated on fresh sessions, since
     * whether the walk happens to visit the newcomer depends on where it lands in the member set.
     */
    @Test
    void aHoldThatJoinsWhileAKeepAliveIsAppliedIsStillLostAtItsOwnDeadline() throws Exception {
        for (int round = 0; round < 20; round++) {
            SessionDriver driver = new SessionDriver(true);
            AtomicInteger bLosses = new AtomicInteger();
            Mutex<String> b = Mutex.builder("short-" + round, TTL, driver).ticker(ticker).scheduler(scheduler).renewPeriod(PERIOD)
                    .renewTimeout(Duration.ofMillis(2500)).driftMargin(Duration.ZERO).onLost(loss -> bLosses.incrementAndGet()).build();
            AtomicReference<Exception> joinFailed = new AtomicReference<>();
            AtomicLong bSent = new AtomicLong();
            MutexListener joinDuringTheWalk = new MutexListener() {
                @Override
                public void renewed(Mutex<?> mutex, Duration latency, Duration untilDeadline) {
                    if (bSent.get() != 0) {
                        return;
                    }
                    bSent.set(ticker.read());
                    try {
                        b.lock();
                    } catch (Exception e) {
                        joinFailed.set(e);
                    }
                    driver.session.holdReplies = true; // from now on no keep-alive is answered
                }
            };
            Mutex<String> a = Mutex.builder("long-" + round, TTL.multipliedBy(10), driver).ticker(ticker).scheduler(scheduler)
                    .renewPeriod(PERIOD.multipliedBy(10)).driftMargin(Duration.ZERO).listener(joinDuringTheWalk).build();
            a.lock();
            scheduler.advance(PERIOD.multipliedBy(10)); // a's first keep-alive: b joins while it is applied
            assertThat(joinFailed.get()).isNull();
            assertThat(bSent.get()).as("b joined during a keep-alive's walk").isNotZero();
            scheduler.advance(Duration.ofNanos(bSent.get() + TTL.toNanos() - 1 - ticker.read()));
            assertThat(b.stats().lockLost()).as("round %d: just before b's deadline", round).isZero();
            scheduler.advance(Duration.ofNanos(1));
            assertThat(b.stats().lockLost()).as("round %d: b lost by the deadline check at its own deadline", round).isEqualTo(1);
            driver.session.heldReplies.forEach(reply -> reply.complete(Duration.ofMinutes(1)));
            a.unlock();
        }
    }

    /**
     * A keep-alive's extension is kept once per group of holds with the same ttl, drift margin,
     * period and renew timeout, not in each hold: holds with different ttls on one session must
     * still each keep their own deadline.
     */
    @Test
    void holdsWithDifferentTtlsOnOneSessionEachKeepTheirOwnDeadline() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        // Only the ttl differs: the same period and renew timeout.
        Mutex<String> shortTtl = Mutex.builder("ttl-3s", TTL, driver).ticker(ticker).scheduler(scheduler).renewPeriod(PERIOD)
                .renewTimeout(PERIOD).driftMargin(Duration.ZERO).build();
        Mutex<String> longTtl = Mutex.builder("ttl-6s", TTL.multipliedBy(2), driver).ticker(ticker).scheduler(scheduler).renewPeriod(PERIOD)
                .renewTimeout(PERIOD).driftMargin(Duration.ZERO).build();
        shortTtl.lock();
        longTtl.lock();
        scheduler.advance(PERIOD.multipliedBy(5)); // keep-alives at +1 s ... +5 s
        long lastSent = ticker.read();
        driver.session.failure = new DriverException("scripted", "session", "keep-alive", null); // none succeeds after +5 s
        scheduler.advance(Duration.ofNanos(lastSent + TTL.toNanos() - 1 - ticker.read()));
        assertThat(shortTtl.isHeld()).as("just before the last keep-alive's send + 3 s").isTrue();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(shortTtl.isHeld()).as("at send + 3 s").isFalse();
        assertThat(longTtl.isHeld()).as("the 6 s hold is trusted for its own ttl from the same keep-alive").isTrue();
        scheduler.advance(Duration.ofNanos(lastSent + 2 * TTL.toNanos() - 1 - ticker.read()));
        assertThat(longTtl.isHeld()).as("just before send + 6 s").isTrue();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(longTtl.isHeld()).as("at send + 6 s").isFalse();
        assertThat(longTtl.stats().lockLost()).isEqualTo(1);
    }

    /** A keep-alive that guarantees less than the one before does not take back what the earlier one gave. */
    @Test
    void aKeepAliveThatGuaranteesLessKeepsTheDeadlineTheEarlierOneGave() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> m = mutex("shrinking", driver, new AtomicInteger());
        long start = ticker.read();
        m.lock();
        scheduler.advance(PERIOD); // sent at +1 s, guarantees a minute: trusted for the 3 s ttl, to +4 s
        driver.session.guarantee = Duration.ofMillis(600);
        scheduler.advance(PERIOD); // sent at +2 s, guarantees 600 ms: to +2.6 s
        driver.session.failure = new DriverException("scripted", "session", "keep-alive", null);
        scheduler.advance(Duration.ofNanos(start + Duration.ofMillis(4_000).toNanos() - 1 - ticker.read()));
        assertThat(m.isHeld()).as("just before +4 s, which the first keep-alive guaranteed").isTrue();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(m.isHeld()).as("at +4 s").isFalse();
    }

    /**
     * A hold counts the keep-alives that extended it while it was held, and only those: after its
     * unlock the count stays, although the session goes on for another hold.
     */
    @Test
    void aHoldsRenewalCountStopsAtItsUnlock() throws Exception {
        SessionDriver driver = new SessionDriver(true);
        Mutex<String> leaving = mutex("counted", driver, new AtomicInteger());
        Mutex<String> staying = mutex("staying-on", driver, new AtomicInteger());
        leaving.lock();
        staying.lock();
        scheduler.advance(PERIOD.multipliedBy(4));
        assertThat(leaving.stats().renewSuccess()).isEqualTo(4);
        leaving.unlock();
        scheduler.advance(PERIOD.multipliedBy(3));
        assertThat(driver.session.keepAlives.get()).as("the session went on for the other hold").isEqualTo(7);
        assertThat(staying.stats().renewSuccess()).isEqualTo(7);
        assertThat(leaving.stats().renewSuccess()).as("renewals of the unlocked hold").isEqualTo(4);
        leaving.lock(); // a new hold: its count adds to the mutex's
        scheduler.advance(PERIOD.multipliedBy(2));
        assertThat(leaving.stats().renewSuccess()).isEqualTo(6);
        leaving.unlock();
        staying.unlock();
    }

    private static SessionDriver.OnSession findLease(SessionDriver driver, Held held) {
        return (SessionDriver.OnSession) ((io.robit.internal.Hold<?>) held).lease();
    }
}
