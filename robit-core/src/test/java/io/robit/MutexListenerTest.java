package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.Level;

/** Lifecycle events arrive in order, a throwing listener changes nothing, and logs say what an operator needs. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutexListenerTest {
    private static final Duration TTL = Duration.ofSeconds(3);

    /** Records event names in order. */
    static final class Recorder implements MutexListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void acquireStarted(Mutex<?> mutex) {
            events.add("started");
        }

        @Override
        public void acquired(Mutex<?> mutex, long fencingToken, Duration waited) {
            events.add("acquired:" + fencingToken);
        }

        @Override
        public void acquireFailed(Mutex<?> mutex, AcquireOutcome outcome, Duration waited, Throwable error) {
            events.add("failed:" + outcome);
        }

        @Override
        public void renewed(Mutex<?> mutex, Duration latency, Duration untilDeadline) {
            if (!events.contains("renewed")) {
                events.add("renewed");
            }
        }

        @Override
        public void renewFailed(Mutex<?> mutex, Throwable error, Duration untilDeadline) {
            if (!events.contains("renewFailed")) {
                events.add("renewFailed");
            }
        }

        @Override
        public void released(Mutex<?> mutex, Duration heldFor) {
            events.add("released");
        }

        @Override
        public void lost(Mutex<?> mutex, Loss loss) {
            events.add("lost:" + loss.reason());
        }
    }

    @Test
    void lockRenewUnlockInOrder() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Recorder recorder = new Recorder();
        Mutex<String> m = Mutex.builder("events", TTL, driver).renewPeriod(Duration.ofMillis(30)).listener(recorder).build();
        m.lock();
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.contains("renewed"));
        m.unlock();
        assertThat(recorder.events).containsExactly("started", "acquired:1", "renewed", "released");
    }

    @Test
    void lockRenewFailureLossInOrder() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Recorder recorder = new Recorder();
        Mutex<String> m = Mutex.builder("events-lost", TTL, driver).renewPeriod(Duration.ofMillis(30)).listener(recorder).build();
        m.lock();
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.contains("renewed"));
        driver.refreshError = new DriverException("scripted", "events-lost", "refresh", null);
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.contains("renewFailed"));
        driver.refreshError = null;
        driver.backend.revoke("events-lost");
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.stream().anyMatch(e -> e.startsWith("lost")));
        assertThat(recorder.events).containsExactly("started", "acquired:1", "renewed", "renewFailed", "lost:GONE");
    }

    @Test
    void failedAcquisitionsSayWhy() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Recorder recorder = new Recorder();
        Mutex.of("busy", TTL, driver).lock();
        Mutex<String> m = Mutex.builder("busy", TTL, driver).listener(recorder).build();
        m.tryLock();
        m.tryLock(Duration.ofMillis(50));
        driver.acquireError = new DriverException("scripted", "busy", "acquire", null);
        try {
            m.tryLock();
        } catch (DriverException expected) {
            // counted below
        }
        assertThat(recorder.events).containsExactly("started", "failed:BUSY", "started", "failed:TIMEOUT", "started", "failed:ERROR");
    }

    @Test
    void aThrowingListenerChangesNothingElse() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        Recorder after = new Recorder();
        CapturingLogger log = new CapturingLogger();
        MutexListener broken = new MutexListener() {
            @Override
            public void acquired(Mutex<?> mutex, long fencingToken, Duration waited) {
                throw new IllegalStateException("metrics bug");
            }

            @Override
            public void released(Mutex<?> mutex, Duration heldFor) {
                throw new IllegalStateException("metrics bug");
            }
        };
        Mutex<String> m = Mutex.builder("robust", TTL, driver).listener(broken).listener(after).logger(log).build();
        m.lock();
        assertThat(m.isHeld()).isTrue();
        m.unlock();
        assertThat(after.events).containsExactly("started", "acquired:1", "released");
        assertThat(m.stats().lockReleased()).isEqualTo(1);
        assertThat(log.at(Level.ERROR)).hasSize(2).allSatisfy(l -> assertThat(l.message()).contains("robust").contains("threw"));
    }

    @Test
    void logsWarnOnRenewalFailureWithTimeLeftAndErrorOnLossWithReason() throws Exception {
        ScriptedDriver driver = new ScriptedDriver();
        CapturingLogger log = new CapturingLogger();
        Mutex<String> m = Mutex.builder("logged", TTL, driver).renewPeriod(Duration.ofMillis(30)).logger(log).build();
        m.lock();
        await().atMost(Duration.ofSeconds(5)).until(() -> m.stats().renewSuccess() > 0);
        assertThat(log.lines).as("nothing logged on the hot path").isEmpty();
        driver.refreshError = new DriverException("scripted", "logged", "refresh", null);
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.at(Level.WARN).isEmpty());
        assertThat(log.at(Level.WARN).get(0).message()).contains("logged").containsPattern("\\d+ ms left before the local deadline");
        driver.backend.revoke("logged");
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.at(Level.ERROR).isEmpty());
        assertThat(log.at(Level.ERROR).get(0).message()).contains("logged").contains("GONE");
        assertThat(log.at(Level.INFO)).isEmpty();
    }
}
