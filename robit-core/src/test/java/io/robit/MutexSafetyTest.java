package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.internal.Scheduling;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12's core findings: ttls the core cannot represent, a lease whose hold could not start,
 * unlock on an interrupted thread, and the number of threads a loss storm may cost.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutexSafetyTest {

    @Test
    void ttlsTheCoreCannotRepresentAreRefusedByTheBuilderBeforeAnyIo() {
        ScriptedDriver driver = new ScriptedDriver();
        Duration centuries = Duration.ofDays(365L * 300);
        assertThatThrownBy(() -> Mutex.builder("bounds", centuries, driver).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl").hasMessageContaining(centuries.toString());
        assertThatThrownBy(() -> Mutex.builder("bounds", Duration.ofSeconds(Long.MAX_VALUE), driver))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> Mutex.builder("bounds", Duration.ofNanos(999_999), driver))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be at least 1 ms");
        assertThatThrownBy(() -> Mutex.builder("bounds", Duration.ofNanos(3), driver))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> Mutex.builder("bounds", Duration.ofSeconds(30), driver).renewTimeout(centuries))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewTimeout");
        assertThat(driver.acquires.get()).as("no I/O").isZero();
        // The bounds themselves are accepted.
        Mutex.builder("bounds", Duration.ofMillis(1), driver).build();
        Mutex.builder("bounds", Duration.ofDays(36_500), driver).build();
    }

    @Test
    void theLongestTtlAcquiresAndReleases() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.of("longest", Duration.ofDays(36_500), driver);
        assertThat(m.tryLock()).isPresent();
        assertThat(m.isHeld()).isTrue();
        m.unlock();
        assertThat(driver.backend.isLocked("longest")).isFalse();
    }

    @Test
    void aLeaseWhoseHoldCannotStartIsGivenBack() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Mutex<String> m = Mutex.of("unstartable", Duration.ofSeconds(30), driver);
        driver.guaranteedTtlError = new ArithmeticException("long overflow");
        assertThatThrownBy(m::tryLock).isInstanceOf(ArithmeticException.class);
        assertThat(driver.releases.get()).as("the lease taken on the backend is released").isEqualTo(1);
        assertThat(driver.backend.isLocked("unstartable")).isFalse();
        assertThat(m.isHeld()).isFalse();
        assertThat(m.stats().lockFailed()).isEqualTo(1);

        driver.guaranteedTtlError = null;
        assertThat(m.tryLock()).as("the mutex is usable again").isPresent();
        m.unlock();
        assertThat(driver.releases.get()).isEqualTo(2);
    }

    @Test
    void unlockOnAnInterruptedThreadReleasesAtOnceAndKeepsTheFlag() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        driver.releaseFailsWhenInterrupted = true;
        Mutex<String> m = Mutex.of("interrupted-unlock", Duration.ofSeconds(30), driver);
        Mutex<String> other = Mutex.of("interrupted-unlock", Duration.ofSeconds(30), driver);
        Held held = m.lock();
        Thread.currentThread().interrupt();
        try {
            held.close();
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(driver.backend.isLocked("interrupted-unlock")).as("released, not left to its ttl").isFalse();
        assertThat(other.tryLock()).isPresent();
        other.unlock();
    }

    @Test
    void withLockOnAThreadThatInterruptsItselfStillReleases() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        driver.releaseFailsWhenInterrupted = true;
        Mutex<String> m = Mutex.of("interrupted-withlock", Duration.ofSeconds(30), driver);
        try {
            m.withLock(Duration.ofSeconds(1), () -> {
                Thread.currentThread().interrupt(); // as after catching an InterruptedException
                return null;
            });
            assertThat(Thread.interrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(driver.backend.isLocked("interrupted-withlock")).isFalse();
    }

    @Test
    void aLossStormCostsABoundedNumberOfThreads() throws Exception {
        int locks = 300;
        ScriptedDriver driver = new ScriptedDriver();
        driver.refreshGate = new CountDownLatch(1); // every refresh hangs: the backend is unreachable,
        driver.refreshIgnoresInterrupts = true; // and the client does not give up on an interrupt
        driver.releaseGate = new CountDownLatch(1); // and so does every release
        AtomicInteger lost = new AtomicInteger();
        List<Held> holds = new ArrayList<>();
        int before = robitThreads();
        for (int i = 0; i < locks; i++) {
            Mutex<String> m = Mutex.builder("storm-" + i, Duration.ofMillis(1500), driver).onLost(lost::incrementAndGet).build();
            holds.add(m.lock());
        }
        int peak = before;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((lost.get() < locks || driver.releases.get() < Scheduling.RELEASERS) && System.nanoTime() < end) {
            peak = Math.max(peak, robitThreads());
            TimeUnit.MILLISECONDS.sleep(20);
        }
        peak = Math.max(peak, robitThreads());
        assertThat(lost.get()).as("every hold is told it is lost, bounded pool or not").isEqualTo(locks);
        assertThat(holds).allMatch(Held::isLost);
        assertThat(peak - before).as("threads added by %d lost holds", locks)
                .isLessThanOrEqualTo(Scheduling.WORKERS + Scheduling.NOTIFIERS + Scheduling.RELEASERS + 1);

        driver.releaseGate.countDown();
        await("every lease is released once the backend answers").atMost(Duration.ofSeconds(20))
                .until(() -> driver.releases.get() == locks);
        for (int i = 0; i < locks; i++) {
            assertThat(driver.backend.isLocked("storm-" + i)).isFalse();
        }
        driver.refreshGate.countDown();
    }

    @Test
    void refreshesThatWaitedForABusyPoolAreRetriedNotDropped() throws Exception {
        int locks = 2 * Scheduling.WORKERS;
        ScriptedDriver driver = new ScriptedDriver();
        CountDownLatch gate = new CountDownLatch(1);
        driver.refreshGate = gate;
        // A ttl far longer than the congestion lasts, however slowly a loaded host runs it: what is
        // checked is that every hold renews again afterwards, not how fast (a dropped refresh never
        // would; with a 4 s ttl a starved host also lost holds whose refreshes were only late).
        List<Mutex<String>> mutexes = new ArrayList<>();
        List<Held> holds = new ArrayList<>();
        for (int i = 0; i < locks; i++) {
            Mutex<String> m = Mutex.builder("busy-" + i, Duration.ofSeconds(60), driver)
                    .renewPeriod(Duration.ofMillis(200)).renewTimeout(Duration.ofMillis(300)).build();
            mutexes.add(m);
            holds.add(m.lock());
        }
        // Every worker stuck in a refresh, and every hold's refresh failed at least once meanwhile:
        // the first ones timed out at the gate, the others waited in the queue and never started.
        await().atMost(Duration.ofSeconds(30)).until(() -> driver.refreshes.get() >= Scheduling.WORKERS);
        await("every hold's refresh failed while the pool was saturated").atMost(Duration.ofSeconds(60))
                .until(() -> mutexes.stream().allMatch(m -> m.stats().renewFailed() >= 1));
        assertThat(mutexes).as("no refresh got through the closed gate").allMatch(m -> m.stats().renewSuccess() == 0);
        gate.countDown();
        driver.refreshGate = null;
        await("every hold renews again once the pool is free").atMost(Duration.ofSeconds(60))
                .until(() -> mutexes.stream().allMatch(m -> m.stats().renewSuccess() >= 2));
        assertThat(holds).noneMatch(Held::isLost);
        for (Held held : holds) {
            held.close();
        }
    }

    private static int robitThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("robit-")).count();
    }
}
