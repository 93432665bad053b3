package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.local.LocalDriver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link LeaderElection} over the in-memory driver. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeaderElectionTest {
    private static final Duration TTL = Duration.ofSeconds(10);
    private final LocalDriver<String> driver = LocalDriver.create();

    @Test
    void oneCandidateLeadsAndCloseHandsOverWithoutARevocation() throws Exception {
        List<Long> terms = new CopyOnWriteArrayList<>();
        AtomicInteger revoked = new AtomicInteger();
        LeaderElection<String> a = LeaderElection.builder("lead", TTL, driver)
                .onElected(l -> terms.add(l.term())).onRevoked(loss -> revoked.incrementAndGet()).build();
        LeaderElection<String> b = LeaderElection.builder("lead", TTL, driver)
                .onElected(l -> terms.add(l.term())).onRevoked(loss -> revoked.incrementAndGet()).build();
        a.start();
        Leadership first = a.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        assertThat(first.term()).isEqualTo(first.fencingToken());
        b.start();
        assertThat(b.awaitLeadership(Duration.ofMillis(300))).isEmpty();
        assertThat(a.isLeader()).isTrue();
        assertThat(b.isLeader()).isFalse();

        a.close();
        assertThat(a.isLeader()).isFalse();
        Leadership second = b.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        assertThat(second.term()).isGreaterThan(first.term());
        await().atMost(Duration.ofSeconds(5)).until(() -> terms.size() == 2);
        assertThat(terms).containsExactly(first.term(), second.term());
        assertThat(first.isLost()).as("resignation is not a loss").isFalse();
        b.close();
        assertThat(revoked).hasValue(0);
        assertThat(driver.isLocked("lead")).isFalse();
        assertThatThrownBy(a::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("lead");
    }

    @Test
    void aLossInterruptsTheWorkRevokesOnceAndCampaignsAgain() throws Exception {
        CountDownLatch working = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        List<Loss> losses = new CopyOnWriteArrayList<>();
        AtomicInteger elections = new AtomicInteger();
        LeaderElection<String> election = LeaderElection.builder("work", TTL, driver)
                .onElected(l -> {
                    if (elections.incrementAndGet() == 1) {
                        working.countDown();
                        try {
                            Thread.sleep(60_000); // the leader's work, until leadership is lost
                        } catch (InterruptedException e) {
                            interrupted.set(true);
                        }
                    }
                })
                .onRevoked(losses::add).build();
        election.start();
        Leadership first = election.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        assertThat(working.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(driver.revoke("work")).isTrue();

        await().atMost(Duration.ofSeconds(5)).until(interrupted::get);
        assertThat(first.isLost()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> elections.get() == 2);
        Leadership second = election.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        assertThat(second.term()).isGreaterThan(first.term());
        assertThat(losses).hasSize(1);
        assertThat(losses.get(0).reason()).isEqualTo(LossReason.GONE);
        assertThat(losses.get(0).fencingToken()).isEqualTo(first.term());
        election.close();
        assertThat(losses).hasSize(1);
    }

    @Test
    void resigningCampaignsAgainAndIsNotARevocation() throws Exception {
        AtomicInteger revoked = new AtomicInteger();
        LeaderElection<String> election = LeaderElection.builder("resign", TTL, driver).onRevoked(loss -> revoked.incrementAndGet()).build();
        election.start();
        Leadership first = election.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        first.close();
        Leadership second = election.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        assertThat(second).isNotSameAs(first);
        assertThat(second.term()).isGreaterThan(first.term());
        assertThat(revoked).hasValue(0);
        election.close();
        assertThat(election.leadership()).isEmpty();
        assertThat(driver.isLocked("resign")).isFalse();
    }

    @Test
    void closingWhileCampaigningLeavesNothingHeld() throws Exception {
        Mutex<String> holder = Mutex.of("camp", TTL, driver);
        holder.lock();
        LeaderElection<String> election = LeaderElection.builder("camp", TTL, driver).build();
        election.start();
        assertThat(election.awaitLeadership(Duration.ofMillis(200))).isEmpty();
        election.close();
        holder.unlock();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !driver.isLocked("camp"));
        assertThat(election.isLeader()).isFalse();
        assertThat(election.awaitLeadership(Duration.ofSeconds(1))).isEmpty();
    }

    @Test
    void closeInterruptsTheWorkBeforeReleasing() throws Exception {
        CountDownLatch working = new CountDownLatch(1);
        AtomicBoolean lockedWhenInterrupted = new AtomicBoolean();
        LeaderElection<String> election = LeaderElection.builder("stop", TTL, driver)
                .onElected(l -> {
                    working.countDown();
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        lockedWhenInterrupted.set(driver.isLocked("stop"));
                    }
                }).build();
        election.start();
        assertThat(working.await(5, TimeUnit.SECONDS)).isTrue();
        election.close();
        assertThat(lockedWhenInterrupted).as("work stops while the lock is still held").isTrue();
        assertThat(driver.isLocked("stop")).isFalse();
    }

    @Test
    void badArgumentsFailAtBuildTime() {
        assertThatThrownBy(() -> LeaderElection.builder(null, TTL, driver)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> LeaderElection.builder("x", Duration.ZERO, driver)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> LeaderElection.builder("x", TTL, driver).renewPeriod(TTL).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeaderElection.builder("", TTL, driver).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeaderElection.builder("x", TTL, driver).onElected(null)).isInstanceOf(NullPointerException.class);
        assertThat(LeaderElection.builder("x", TTL, driver).build().leadership()).isEqualTo(Optional.empty());
    }
}
