package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LeaderElection} over the in-memory backend, on a fake ticker and a {@link FakeScheduler}
 * that also runs the blocking refreshes: time moves only when a test advances it, so renewals,
 * retries and timed-out waits happen at exact fake instants and nothing waits on the wall clock.
 * Only the campaigns' attempts and the leaders' work run on real threads; the test polls
 * (Awaitility, bounded) for what they do.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeaderElectionTest {
    private static final Duration TTL = Duration.ofSeconds(10);
    private final FakeTicker ticker = new FakeTicker();
    private final FakeScheduler scheduler = new FakeScheduler(ticker);
    private final ScriptedDriver driver = new ScriptedDriver(ticker);

    private LeaderElection.Builder<String> candidate(String name) {
        return LeaderElection.builder(name, TTL, driver).ticker(ticker).scheduler(scheduler).refreshExecutor(Runnable::run);
    }

    private static Leadership leaderOf(LeaderElection<String> election) {
        return await().atMost(Duration.ofSeconds(10)).until(election::leadership, Optional::isPresent).orElseThrow();
    }

    /** Waits until the driver has seen {@code count} acquire attempts (a refused one included). */
    private void awaitAttempts(int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> driver.acquires.get() >= count);
    }

    @Test
    void oneCandidateLeadsAndCloseHandsOverWithoutARevocation() {
        List<Long> terms = new CopyOnWriteArrayList<>();
        AtomicInteger revoked = new AtomicInteger();
        LeaderElection<String> a = candidate("lead").onElected(l -> terms.add(l.term())).onRevoked(loss -> revoked.incrementAndGet()).build();
        LeaderElection<String> b = candidate("lead").onElected(l -> terms.add(l.term())).onRevoked(loss -> revoked.incrementAndGet()).build();
        a.start();
        Leadership first = leaderOf(a);
        assertThat(first.term()).isEqualTo(first.fencingToken());
        b.start();
        awaitAttempts(2); // b has asked and been refused
        assertThat(a.isLeader()).isTrue();
        assertThat(b.isLeader()).isFalse();

        a.close();
        assertThat(a.isLeader()).isFalse();
        Leadership second = leaderOf(b);
        assertThat(second.term()).isGreaterThan(first.term());
        await().atMost(Duration.ofSeconds(10)).until(() -> terms.size() == 2);
        assertThat(terms).containsExactly(first.term(), second.term());
        assertThat(first.isLost()).as("resignation is not a loss").isFalse();
        b.close();
        assertThat(revoked).hasValue(0);
        assertThat(driver.backend.isLocked("lead")).isFalse();
        assertThatThrownBy(a::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("lead");
    }

    @Test
    void awaitLeadershipRunsOutByTheElectionsTicker() throws Exception {
        LeaderElection<String> a = candidate("await").build();
        LeaderElection<String> b = candidate("await").build();
        a.start();
        leaderOf(a);
        b.start();
        assertThat(b.awaitLeadership(Duration.ZERO)).as("zero looks once").isEmpty();
        AtomicReference<Thread> waiter = new AtomicReference<>();
        CompletableFuture<Optional<Leadership>> waiting = CompletableFuture.supplyAsync(() -> {
            waiter.set(Thread.currentThread());
            try {
                return b.awaitLeadership(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // Parked in its timed wait: its deadline is taken, so the advance below passes it.
        await().atMost(Duration.ofSeconds(10)).until(() -> waiter.get() != null && waiter.get().getState() == Thread.State.TIMED_WAITING);
        // 30 s of the ticker (a renews meanwhile), far more than the wall clock this test takes.
        scheduler.advance(Duration.ofMillis(29_999));
        assertThat(waiting).as("not before 30 s of the ticker").isNotDone();
        scheduler.advance(Duration.ofMillis(1));
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEmpty();
        assertThat(a.isLeader()).as("renewed on the fake scheduler throughout").isTrue();
        a.close();
        assertThat(leaderOf(b)).isNotNull();
        b.close();
    }

    @Test
    void theLeaderRenewsOnTheInjectedSchedulerAndRefreshExecutor() {
        LeaderElection<String> election = candidate("renew").build();
        election.start();
        Leadership leadership = leaderOf(election);
        assertThat(driver.refreshes).hasValue(0);
        // Three ttls of fake time, in renewal periods (ttl/3): each renewal runs on this thread.
        for (int i = 1; i <= 9; i++) {
            scheduler.advance(TTL.dividedBy(3));
            assertThat(driver.refreshes).hasValue(i);
        }
        assertThat(election.leadership()).containsSame(leadership);
        assertThat(leadership.isLost()).isFalse();
        assertThat(election.mutex().stats().renewSuccess()).isEqualTo(9);
        election.close();
        assertThat(driver.backend.isLocked("renew")).isFalse();
    }

    @Test
    void aFailedCampaignIsRetriedAfterTheRetryDelayOnTheScheduler() {
        driver.acquireError = new DriverException("scripted", "retry", "acquire", new java.io.IOException("connection refused"));
        LeaderElection<String> election = candidate("retry").build();
        election.start();
        awaitAttempts(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.pending() == 1); // the retry, after min(ttl/3, 1 s)
        driver.acquireError = null;
        scheduler.advance(Duration.ofMillis(999));
        assertThat(driver.acquires).as("no retry before the delay").hasValue(1);
        assertThat(election.isLeader()).isFalse();
        scheduler.advance(Duration.ofMillis(1));
        leaderOf(election);
        assertThat(driver.acquires).hasValue(2);
        election.close();
    }

    @Test
    void aLossInterruptsTheWorkRevokesOnceAndCampaignsAgain() throws Exception {
        CountDownLatch working = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        List<Loss> losses = new CopyOnWriteArrayList<>();
        AtomicInteger elections = new AtomicInteger();
        LeaderElection<String> election = candidate("work")
                .onElected(l -> {
                    if (elections.incrementAndGet() == 1) {
                        working.countDown();
                        try {
                            new CountDownLatch(1).await(); // the leader's work, until leadership is lost
                        } catch (InterruptedException e) {
                            interrupted.set(true);
                        }
                    }
                })
                .onRevoked(losses::add).build();
        election.start();
        Leadership first = leaderOf(election);
        assertThat(working.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(driver.backend.revoke("work")).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(interrupted::get);
        assertThat(first.isLost()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> elections.get() == 2);
        Leadership second = leaderOf(election);
        assertThat(second.term()).isGreaterThan(first.term());
        assertThat(losses).hasSize(1);
        assertThat(losses.get(0).reason()).isEqualTo(LossReason.GONE);
        assertThat(losses.get(0).fencingToken()).isEqualTo(first.term());
        election.close();
        assertThat(losses).hasSize(1);
    }

    @Test
    void resigningCampaignsAgainAndIsNotARevocation() {
        AtomicInteger revoked = new AtomicInteger();
        LeaderElection<String> election = candidate("resign").onRevoked(loss -> revoked.incrementAndGet()).build();
        election.start();
        Leadership first = leaderOf(election);
        first.close();
        Leadership second = leaderOf(election);
        assertThat(second).isNotSameAs(first);
        assertThat(second.term()).isGreaterThan(first.term());
        assertThat(revoked).hasValue(0);
        election.close();
        assertThat(election.leadership()).isEmpty();
        assertThat(driver.backend.isLocked("resign")).isFalse();
    }

    @Test
    void closingWhileCampaigningLeavesNothingHeld() throws Exception {
        Mutex<String> holder = Mutex.builder("camp", TTL, driver).ticker(ticker).scheduler(scheduler).build();
        holder.lock();
        LeaderElection<String> election = candidate("camp").build();
        election.start();
        awaitAttempts(2); // the campaign has been refused and waits
        assertThat(election.isLeader()).isFalse();
        election.close();
        // The cancelled campaign has ended (counted as a failed lock call): no attempt of it follows.
        await().atMost(Duration.ofSeconds(10)).until(() -> election.mutex().stats().lockFailed() == 1);
        holder.unlock();
        assertThat(driver.backend.isLocked("camp")).isFalse();
        assertThat(election.mutex().stats().lockAcquired()).isZero();
        assertThat(election.isLeader()).isFalse();
        assertThat(election.awaitLeadership(Duration.ofSeconds(1))).as("a closed election returns at once").isEmpty();
    }

    @Test
    void closeInterruptsTheWorkBeforeReleasing() throws Exception {
        CountDownLatch working = new CountDownLatch(1);
        AtomicBoolean lockedWhenInterrupted = new AtomicBoolean();
        LeaderElection<String> election = candidate("stop")
                .onElected(l -> {
                    working.countDown();
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        lockedWhenInterrupted.set(driver.backend.isLocked("stop"));
                    }
                }).build();
        election.start();
        assertThat(working.await(10, TimeUnit.SECONDS)).isTrue();
        election.close();
        assertThat(lockedWhenInterrupted).as("work stops while the lock is still held").isTrue();
        assertThat(driver.backend.isLocked("stop")).isFalse();
    }

    @Test
    void badArgumentsFailAtBuildTime() {
        assertThatThrownBy(() -> LeaderElection.builder(null, TTL, driver)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> LeaderElection.builder("x", Duration.ZERO, driver)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> LeaderElection.builder("x", TTL, driver).renewPeriod(TTL).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeaderElection.builder("", TTL, driver).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeaderElection.builder("x", TTL, driver).onElected(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> LeaderElection.builder("x", TTL, driver).refreshExecutor(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("refreshExecutor");
        assertThatThrownBy(() -> LeaderElection.builder("x", TTL, driver).ticker(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("ticker");
        assertThat(LeaderElection.builder("x", TTL, driver).build().leadership()).isEqualTo(Optional.empty());
    }
}
