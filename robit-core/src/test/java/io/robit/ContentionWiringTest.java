package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.local.LocalDriver;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How {@link Mutex} uses {@link Driver#contend}: one contention per waiting call, every attempt and
 * wait through it, closed exactly once on every way the call ends; a single {@code tryLock()} opens
 * none.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ContentionWiringTest {
    private static final Duration TTL = Duration.ofSeconds(30);
    private final LocalDriver<String> local = LocalDriver.create();
    private final Counting driver = new Counting(local);

    @Test
    void aSingleAttemptOpensNoContention() throws Exception {
        Mutex.of("one", TTL, driver).tryLock().orElseThrow().close();
        assertThat(driver.opened.get()).isZero();
    }

    @Test
    void aGrantedWaitClosesItsContentionOnce() throws Exception {
        Mutex.of("grant", TTL, driver).tryLock(Duration.ofSeconds(1)).orElseThrow().close();
        assertThat(driver.opened.get()).isEqualTo(1);
        assertThat(driver.closed.get()).isEqualTo(1);
        assertThat(driver.attempts.get()).isEqualTo(1);
        assertThat(driver.problems).isEmpty();
    }

    @Test
    void aTimedOutWaitClosesItsContentionOnce() throws Exception {
        Held held = Mutex.of("timeout", TTL, local).tryLock().orElseThrow();
        assertThat(Mutex.of("timeout", TTL, driver).tryLock(Duration.ofMillis(100))).isEmpty();
        assertThat(driver.closed.get()).isEqualTo(1);
        assertThat(driver.waits.get()).as("waited through the contention").isPositive();
        assertThat(driver.problems).isEmpty();
        held.close();
    }

    @Test
    void anInterruptedWaitClosesItsContentionOnce() throws Exception {
        Held held = Mutex.of("interrupt", TTL, local).tryLock().orElseThrow();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Mutex.of("interrupt", TTL, driver).lock()).isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
        assertThat(driver.closed.get()).isEqualTo(1);
        assertThat(driver.closedInterrupted.get()).as("closed with the interrupt flag cleared").isZero();
        held.close();
    }

    @Test
    void aFailedAttemptClosesItsContentionOnceAndFreesTheMutex() throws Exception {
        driver.failAttempts.set(true);
        Mutex<String> mutex = Mutex.of("error", TTL, driver);
        assertThatThrownBy(() -> mutex.tryLock(Duration.ofSeconds(1))).isInstanceOf(DriverException.class);
        assertThat(driver.closed.get()).isEqualTo(1);
        assertThatThrownBy(() -> mutex.lockAsync().get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(DriverException.class);
        assertThat(driver.closed.get()).isEqualTo(2);
        driver.failAttempts.set(false);
        mutex.tryLock(Duration.ofSeconds(1)).orElseThrow().close();
    }

    @Test
    void aContendThatThrowsLeavesTheMutexFree() throws Exception {
        Driver<String> broken = new Counting(local) {
            @Override
            public Contention contend(String id, Duration ttl, Duration timeout) {
                throw new DriverException("test", id, "contend", new IllegalStateException("no"));
            }
        };
        Mutex<String> mutex = Mutex.of("contend", TTL, broken);
        assertThatThrownBy(() -> mutex.tryLock(Duration.ofSeconds(1))).isInstanceOf(DriverException.class);
        assertThat(mutex.tryLockAsync(Duration.ofSeconds(1))).failsWithin(Duration.ofSeconds(10));
        mutex.tryLock().orElseThrow().close();
    }

    @Test
    void asyncCallsCloseTheirContentionOnceOnEveryEnding() throws Exception {
        Mutex<String> holder = Mutex.of("async", TTL, local);
        Held held = holder.tryLock().orElseThrow();
        assertThat(Mutex.of("async", TTL, driver).tryLockAsync(Duration.ofMillis(100)).get(10, TimeUnit.SECONDS)).isEmpty();
        CompletableFuture<Held> cancelled = Mutex.of("async", TTL, driver).lockAsync();
        await().atMost(Duration.ofSeconds(10)).until(() -> driver.waits.get() >= 2);
        cancelled.cancel(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> driver.closed.get() == 2);
        CompletableFuture<Held> granted = Mutex.of("async", TTL, driver).lockAsync();
        held.close();
        granted.get(10, TimeUnit.SECONDS).close();
        assertThat(driver.opened.get()).isEqualTo(3);
        assertThat(driver.closed.get()).isEqualTo(3);
        assertThat(driver.problems).isEmpty();
    }

    @Test
    void aGrantRacingACancelClosesOnceAndLeavesTheLockFree() throws Exception {
        for (int round = 0; round < 200; round++) {
            String id = "race-" + round;
            Held held = Mutex.of(id, TTL, local).tryLock().orElseThrow();
            int before = driver.closed.get();
            CompletableFuture<Held> waiting = Mutex.of(id, TTL, driver).lockAsync();
            held.close();
            if (round % 2 == 0) {
                Thread.onSpinWait();
            }
            if (!waiting.cancel(false)) {
                waiting.join().close(); // the grant won the race
            }
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(10))
                    .until(() -> driver.closed.get() == before + 1);
            await("round " + round + ": the lock is free again").pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                    .atMost(Duration.ofSeconds(10)).until(() -> !local.isLocked(id));
        }
        assertThat(driver.opened.get()).isEqualTo(200);
        assertThat(driver.closed.get()).isEqualTo(200);
        assertThat(driver.problems).isEmpty();
    }

    /** Wraps a driver; counts contentions opened and closed, attempts and waits, and notes misuse. */
    private static class Counting implements Driver<String> {
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger closedInterrupted = new AtomicInteger();
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicInteger waits = new AtomicInteger();
        final AtomicBoolean failAttempts = new AtomicBoolean();
        final Queue<String> problems = new ConcurrentLinkedQueue<>();
        private final Driver<String> delegate;

        Counting(Driver<String> delegate) {
            this.delegate = delegate;
        }

        @Override
        public Contention contend(String id, Duration ttl, Duration timeout) {
            opened.incrementAndGet();
            Contention inner = delegate.contend(id, ttl, timeout);
            AtomicBoolean done = new AtomicBoolean();
            return new Contention() {
                @Override
                public Optional<Lease> tryAcquire() throws InterruptedException {
                    check(done, "tryAcquire");
                    attempts.incrementAndGet();
                    if (failAttempts.get()) {
                        throw new DriverException("test", id, "acquire", new IllegalStateException("scripted"));
                    }
                    return inner.tryAcquire();
                }

                @Override
                public void awaitRelease(Duration maxWait) throws InterruptedException {
                    check(done, "awaitRelease");
                    waits.incrementAndGet();
                    inner.awaitRelease(maxWait);
                }

                @Override
                public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
                    check(done, "awaitReleaseAsync");
                    waits.incrementAndGet();
                    return inner.awaitReleaseAsync(maxWait);
                }

                @Override
                public void close() {
                    if (Thread.currentThread().isInterrupted()) {
                        closedInterrupted.incrementAndGet();
                    }
                    if (done.getAndSet(true)) {
                        problems.add("closed twice");
                    }
                    closed.incrementAndGet();
                    inner.close();
                }
            };
        }

        private void check(AtomicBoolean done, String call) {
            if (done.get()) {
                problems.add(call + " after close");
            }
        }

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            return delegate.acquire(id, ttl, timeout);
        }

        @Override
        public void release(Lease lease) {
            delegate.release(lease);
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            delegate.awaitRelease(id, maxWait);
        }

        @Override
        public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
            return delegate.awaitReleaseAsync(id, maxWait);
        }
    }
}
