package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.internal.AsyncWaits;
import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Mutex#lockAsync()} and {@link Mutex#tryLockAsync(Duration)} over the in-memory driver. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockAsyncTest {
    private static final Duration TTL = Duration.ofSeconds(10);
    private final LocalDriver<String> driver = LocalDriver.create();

    @Test
    void completesWhenTheHolderUnlocks() throws Exception {
        Mutex<String> holder = Mutex.of("a", TTL, driver);
        Mutex<String> waiter = Mutex.of("a", TTL, driver);
        Held first = holder.lock();
        CompletableFuture<Held> next = waiter.lockAsync();
        assertThat(next).isNotDone();
        holder.unlock();
        Held second = next.get(10, TimeUnit.SECONDS);
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        assertThat(waiter.isHeld()).isTrue();
        second.close();
        assertThat(driver.isLocked("a")).isFalse();
    }

    @Test
    void sameNonReentrancyAsLock() throws Exception {
        Mutex<String> m = Mutex.of("b", TTL, driver);
        Mutex<String> other = Mutex.of("b", TTL, driver);
        other.lock();
        CompletableFuture<Held> waiting = m.lockAsync();
        assertThat(m.lockAsync()).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(AlreadyHeldException.class);
        assertThatThrownBy(m::tryLock).isInstanceOf(AlreadyHeldException.class);
        other.unlock();
        Held held = waiting.get(10, TimeUnit.SECONDS);
        assertThat(m.tryLockAsync(Duration.ZERO)).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(AlreadyHeldException.class);
        held.close();
    }

    @Test
    void tryLockAsyncCompletesEmptyWhenTheWaitRunsOutAndFreesTheMutex() throws Exception {
        Mutex<String> holder = Mutex.of("c", TTL, driver);
        Mutex<String> waiter = Mutex.of("c", TTL, driver);
        holder.lock();
        assertThat(waiter.tryLockAsync(Duration.ofMillis(200)).get(10, TimeUnit.SECONDS)).isEmpty();
        assertThat(waiter.stats().lockFailed()).isEqualTo(1);
        assertThat(waiter.tryLockAsync(Duration.ZERO).get(10, TimeUnit.SECONDS)).isEmpty();
        holder.unlock();
        Optional<Held> held = waiter.tryLockAsync(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(held).isPresent();
        held.get().close();
    }

    @Test
    void badWaitIsRejectedBeforeAnyIo() {
        Mutex<String> m = Mutex.of("d", TTL, driver);
        assertThatThrownBy(() -> m.tryLockAsync(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-0.001");
        assertThatThrownBy(() -> m.tryLockAsync(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("wait");
    }

    @Test
    void cancellingStopsTheWaitAndLeavesNothingHeld() throws Exception {
        Mutex<String> holder = Mutex.of("e", TTL, driver);
        Mutex<String> waiter = Mutex.of("e", TTL, driver);
        holder.lock();
        CompletableFuture<Held> pending = waiter.lockAsync();
        assertThat(pending.cancel(true)).isTrue();
        // The mutex is usable again once the call has stopped.
        await().atMost(Duration.ofSeconds(5)).ignoreException(AlreadyHeldException.class)
                .until(() -> waiter.tryLock().isEmpty());
        holder.unlock();
        assertThat(waiter.stats().lockAcquired()).isZero();
        assertThat(driver.isLocked("e")).isFalse();
    }

    @Test
    void aGrantThatArrivesAfterTheCancelIsReleased() throws Exception {
        CountDownLatch attempting = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        Driver<String> slow = new Driver<>() {
            @Override
            public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
                attempting.countDown();
                answer.await();
                return driver.acquire(id, ttl, timeout);
            }

            @Override
            public void release(Lease lease) {
                driver.release(lease);
            }
        };
        Mutex<String> waiter = Mutex.of("f", TTL, slow);
        CompletableFuture<Held> pending = waiter.lockAsync();
        assertThat(attempting.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(pending.cancel(true)).isTrue();
        answer.countDown(); // the backend grants the lock after the caller gave up
        await().atMost(Duration.ofSeconds(5)).until(() -> waiter.stats().lockReleased() == 1);
        assertThat(driver.isLocked("f")).isFalse();
        assertThat(waiter.isHeld()).isFalse();
        assertThat(waiter.stats().lockAcquired()).isEqualTo(1);
    }

    @Test
    void cancelsRacingReleasesNeverLeaveTheLockHeld() throws Exception {
        Mutex<String> holder = Mutex.of("f2", TTL, driver);
        Mutex<String> waiter = Mutex.of("f2", TTL, driver);
        for (int i = 0; i < 100; i++) {
            holder.lock();
            CompletableFuture<Held> pending = waiter.lockAsync();
            holder.unlock(); // wakes the waiter; the cancel below races its grant
            pending.cancel(true);
            if (!pending.isCancelled()) {
                pending.join().close();
            }
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> !waiter.isHeld() && !driver.isLocked("f2"));
            // The next round's lockAsync needs the cancelled call to have stopped.
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(5))
                    .ignoreException(AlreadyHeldException.class)
                    .until(() -> waiter.tryLock().map(h -> {
                        h.close();
                        return true;
                    }).orElse(false));
        }
    }

    @Test
    void aDriverFailureFailsTheFutureAndFreesTheMutex() throws Exception {
        ScriptedDriver scripted = new ScriptedDriver();
        scripted.acquireError = new DriverException("scripted", "g", "acquire", new java.io.IOException("refused"));
        Mutex<String> m = Mutex.of("g", TTL, scripted);
        assertThat(m.lockAsync()).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(DriverException.class);
        scripted.acquireError = null;
        await().atMost(Duration.ofSeconds(5)).ignoreException(AlreadyHeldException.class).until(() -> m.tryLock().isPresent());
        m.unlock();
    }

    @Test
    void thousandsOfWaitersUseOnlyTheBoundedPool() throws Exception {
        int waiters = 10_000;
        Mutex<String> holder = Mutex.of("h", TTL, driver);
        holder.lock();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        List<CompletableFuture<Held>> futures = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            futures.add(Mutex.of("h", TTL, driver).lockAsync());
        }
        // Every waiter has made its first attempt once all the pool's queued work has drained.
        AtomicInteger idle = new AtomicInteger();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            CompletableFuture<Void> probe = new CompletableFuture<>();
            AsyncWaits.pool().execute(() -> probe.complete(null));
            probe.get(30, TimeUnit.SECONDS);
            return idle.incrementAndGet() > 3;
        });
        int threadsWaiting = ManagementFactory.getThreadMXBean().getThreadCount();
        assertThat(threadsWaiting - threadsBefore).as("threads added while %d callers wait", waiters)
                .isLessThanOrEqualTo(AsyncWaits.POOL_SIZE + 2);
        assertThat(futures).noneMatch(CompletableFuture::isDone);
        futures.forEach(f -> f.cancel(true));
        holder.unlock();
        // Nothing the cancelled waiters could have been granted stays held.
        await().atMost(Duration.ofSeconds(30)).until(() -> !driver.isLocked("h"));
    }

    @Test
    void theDefaultWaitOfABlockingDriverStaysCorrect() throws Exception {
        // A third-party driver that overrides only the blocking awaitRelease.
        AtomicInteger blockingWaits = new AtomicInteger();
        Driver<String> blocking = new Driver<>() {
            @Override
            public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
                return driver.acquire(id, ttl, timeout);
            }

            @Override
            public void release(Lease lease) {
                driver.release(lease);
            }

            @Override
            public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
                blockingWaits.incrementAndGet();
                driver.awaitRelease(id, maxWait);
            }
        };
        Mutex<String> holder = Mutex.of("i", TTL, blocking);
        Mutex<String> waiter = Mutex.of("i", TTL, blocking);
        holder.lock();
        CompletableFuture<Held> pending = waiter.lockAsync();
        await().atMost(Duration.ofSeconds(5)).until(() -> blockingWaits.get() >= 2);
        assertThat(pending).isNotDone();
        holder.unlock();
        pending.get(10, TimeUnit.SECONDS).close();
    }
}
