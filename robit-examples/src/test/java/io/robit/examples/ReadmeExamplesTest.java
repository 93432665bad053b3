package io.robit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.AlreadyHeldException;
import io.robit.Held;
import io.robit.LockLostException;
import io.robit.Mutex;
import io.robit.Stats;
import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every Java block in README.md is a region of this file (checked by SnippetsTest) and runs here. */
class ReadmeExamplesTest {
    private static final Logger log = LoggerFactory.getLogger("app");
    private final List<Long> processed = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private int workLeft = 3;

    @Test
    void lossNotification() throws Exception {
        LocalDriver<String> driver = LocalDriver.create();
        // snippet:loss
        Mutex<String> mutex = Mutex.builder("critical-task", Duration.ofSeconds(30), driver)
                .onLost(() -> {
                    log.warn("Lock lost! Stopping work...");
                    stop.set(true); // tell the worker to stop
                })
                .build();

        try (Held held = mutex.lock()) {
            while (!stop.get() && hasMoreWork()) {
                doSomeWork(held.fencingToken());
                // held.isLost() and held.lost() (a CompletableFuture) tell the same story.
            }
        }
        // end::loss
        assertThat(stop).isFalse();
        assertThat(processed).hasSize(3);

        Held held = mutex.lock();
        driver.revoke("critical-task");
        await().atMost(Duration.ofSeconds(5)).untilTrue(stop);
        assertThat(held.isLost()).isTrue();
    }

    @Test
    void withLock() throws Exception {
        Driver<String> driver = LocalDriver.create();
        Mutex<String> mutex = Mutex.of("nightly-report", Duration.ofSeconds(30), driver);
        // snippet:withlock
        // Waits up to 5 s for the lock, runs the work while holding it, then unlocks.
        // If the lock is lost meanwhile, the working thread is interrupted and
        // LockLostException is thrown; LockTimeoutException if the wait runs out.
        String report = mutex.withLock(Duration.ofSeconds(5), () -> buildReport());
        // end::withlock
        assertThat(report).isEqualTo("report");
    }

    @Test
    void options() throws Exception {
        Driver<String> driver = LocalDriver.create();
        // snippet:options
        Mutex<String> mutex = Mutex.builder("my-lock", Duration.ofSeconds(30), driver)
                .renewPeriod(Duration.ofSeconds(5))     // default ttl/3
                .renewTimeout(Duration.ofSeconds(3))    // default ttl/3
                .driftMargin(Duration.ofMillis(500))    // default 1% of ttl + 2 ms
                .onLost(loss -> log.error("lost {} ({}), token {}", loss.lockId(), loss.reason(), loss.fencingToken()))
                .logger(LoggerFactory.getLogger("app.locks"))
                .build();
        // end::options
        assertThat(mutex.tryLock()).isPresent();
        mutex.unlock();
    }

    @Test
    void errors() throws Exception {
        Driver<String> driver = LocalDriver.create();
        Mutex<String> mutex = Mutex.of("my-lock", Duration.ofSeconds(30), driver);
        mutex.lock();
        boolean handled = false;
        // snippet:errors
        try {
            mutex.lock();
        } catch (AlreadyHeldException e) {
            // this Mutex already holds its lock: Robit mutexes are not reentrant
            handled = true;
        }

        Optional<Held> maybe = Mutex.of("my-lock", Duration.ofSeconds(30), driver).tryLock();
        if (maybe.isEmpty()) {
            // another holder has it: contention is a value, not an exception
        }
        // end::errors
        assertThat(handled).isTrue();
        assertThat(maybe).isEmpty();
        mutex.unlock();
    }

    @Test
    void stats() throws Exception {
        Driver<String> driver = LocalDriver.create();
        Mutex<String> mutex = Mutex.of("my-lock", Duration.ofSeconds(30), driver);
        mutex.lock();
        mutex.unlock();
        // snippet:stats
        Stats stats = mutex.stats(); // an immutable snapshot
        log.info("acquired={} failed={} lost={} renewFailed={} held for {}",
                stats.lockAcquired(), stats.lockFailed(), stats.lockLost(),
                stats.renewFailed(), stats.totalHoldTime());
        // end::stats
        assertThat(stats.lockAcquired()).isEqualTo(1);
        assertThat(stats.lockReleased()).isEqualTo(1);
    }

    @Test
    void withLockThrowsLockLostWhenTheLockGoesAway() throws Exception {
        LocalDriver<String> driver = LocalDriver.create();
        Mutex<String> mutex = Mutex.of("lost-work", Duration.ofSeconds(30), driver);
        AtomicBoolean interrupted = new AtomicBoolean();
        try {
            mutex.withLock(Duration.ofSeconds(1), () -> {
                driver.revoke("lost-work");
                // Blocks until withLock interrupts it on the loss (the minute is never reached).
                try {
                    new java.util.concurrent.CountDownLatch(1).await(1, java.util.concurrent.TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    interrupted.set(true);
                    throw e;
                }
                return null;
            });
        } catch (LockLostException e) {
            assertThat(e.lockId()).isEqualTo("lost-work");
            assertThat(interrupted).as("the work was interrupted on loss").isTrue();
            return;
        }
        throw new AssertionError("LockLostException expected");
    }

    @Test
    void handoverDemoKeepsEveryPromise() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean ok = new HandoverDemo(new PrintStream(out, true, StandardCharsets.UTF_8)).run();
        String timeline = out.toString(StandardCharsets.UTF_8);
        assertThat(ok).as(timeline).isTrue();
        assertThat(timeline).contains("told the lock is lost").contains("refused by the fence");
    }

    private boolean hasMoreWork() {
        return workLeft > 0;
    }

    private void doSomeWork(long fencingToken) {
        workLeft--;
        processed.add(fencingToken);
    }

    private String buildReport() {
        return "report";
    }
}
