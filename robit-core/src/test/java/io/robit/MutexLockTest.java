package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.local.LocalDriver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Mutex#asLock()}: the {@code java.util.concurrent.locks.Lock} view. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutexLockTest {
    private static final Duration TTL = Duration.ofSeconds(10);
    private final LocalDriver<String> driver = LocalDriver.create();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void theViewHoldsTheDistributedLockBetweenLockAndUnlock() throws Exception {
        Mutex<String> mutex = Mutex.of("view-basic", TTL, driver);
        Lock lock = mutex.asLock();
        assertThat(mutex.asLock()).as("one view per mutex").isSameAs(lock);
        Mutex<String> other = Mutex.of("view-basic", TTL, driver);

        lock.lock();
        assertThat(mutex.isHeld()).isTrue();
        assertThat(other.tryLock()).as("another holder is excluded").isEmpty();
        lock.unlock();
        assertThat(mutex.isHeld()).isFalse();
        try (Held held = other.tryLock().orElseThrow()) {
            assertThat(lock.tryLock()).as("tryLock while another process holds it").isFalse();
            assertThat(lock.tryLock(50, TimeUnit.MILLISECONDS)).isFalse();
        }
        assertThat(lock.tryLock(5, TimeUnit.SECONDS)).isTrue();
        lock.unlock();
    }

    @Test
    void threadsSharingTheViewWaitForEachOtherInsteadOfFailing() throws Exception {
        Lock lock = Mutex.of("view-threads", TTL, driver).asLock();
        lock.lock();
        AtomicBoolean secondHolds = new AtomicBoolean();
        AtomicReference<Thread> waiter = new AtomicReference<>();
        Future<?> second = pool.submit(() -> {
            waiter.set(Thread.currentThread());
            lock.lock();
            secondHolds.set(true);
            lock.unlock();
            return null;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> waiter.get() != null && waiter.get().getState() == Thread.State.WAITING);
        assertThat(secondHolds).as("the second thread waits while the first holds").isFalse();
        assertThat(second).isNotDone();
        lock.unlock();
        second.get(10, TimeUnit.SECONDS);
        assertThat(secondHolds).isTrue();
    }

    @Test
    void notReentrantAndOnlyTheHoldingThreadUnlocks() throws Exception {
        Lock lock = Mutex.of("view-reentry", TTL, driver).asLock();
        assertThatThrownBy(lock::unlock).isInstanceOf(IllegalMonitorStateException.class).hasMessageContaining("view-reentry");
        lock.lock();
        assertThatThrownBy(lock::lock).isInstanceOf(AlreadyHeldException.class).hasMessageContaining("view-reentry");
        assertThatThrownBy(lock::tryLock).isInstanceOf(AlreadyHeldException.class);
        assertThatThrownBy(() -> pool.submit(() -> {
            lock.unlock();
            return null;
        }).get()).hasCauseInstanceOf(IllegalMonitorStateException.class);
        lock.unlock();
        assertThat(lock.tryLock()).as("still usable after the refused re-entry").isTrue();
        lock.unlock();
    }

    @Test
    void lockInterruptiblyStopsWaitingAndHoldsNothing() throws Exception {
        Mutex<String> holder = Mutex.of("view-interrupt", TTL, driver);
        Held held = holder.lock();
        Lock lock = Mutex.of("view-interrupt", TTL, driver).asLock();
        AtomicReference<Thread> waiter = new AtomicReference<>();
        Future<?> waiting = pool.submit(() -> {
            waiter.set(Thread.currentThread());
            lock.lockInterruptibly();
            return null;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> waiter.get() != null && waiter.get().getState() != Thread.State.RUNNABLE);
        waiter.get().interrupt();
        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(InterruptedException.class);
        held.close();
        assertThat(lock.tryLock()).as("the interrupted wait left neither the local nor the distributed lock taken").isTrue();
        lock.unlock();
    }

    @Test
    void lockIgnoresInterruptsUntilHeldThenKeepsTheFlag() throws Exception {
        Mutex<String> holder = Mutex.of("view-uninterruptible", TTL, driver);
        Held held = holder.lock();
        Lock lock = Mutex.of("view-uninterruptible", TTL, driver).asLock();
        AtomicReference<Thread> waiter = new AtomicReference<>();
        CompletableFuture<Boolean> flagAfterLock = CompletableFuture.supplyAsync(() -> {
            waiter.set(Thread.currentThread());
            lock.lock();
            boolean flag = Thread.interrupted();
            lock.unlock();
            return flag;
        }, pool);
        await().atMost(Duration.ofSeconds(10)).until(() -> waiter.get() != null && waiter.get().getState() != Thread.State.RUNNABLE);
        waiter.get().interrupt();
        await().atMost(Duration.ofSeconds(10)).until(() -> waiter.get().getState() != Thread.State.RUNNABLE);
        assertThat(flagAfterLock).as("lock() keeps waiting after an interrupt").isNotDone();
        held.close();
        assertThat(flagAfterLock.get(10, TimeUnit.SECONDS)).as("interrupt re-asserted once held").isTrue();
    }

    @Test
    void unlockAfterALossThrowsAndFreesTheView() throws Exception {
        Mutex<String> mutex = Mutex.of("view-lost", TTL, driver);
        Lock lock = mutex.asLock();
        lock.lock();
        assertThat(driver.revoke("view-lost")).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !mutex.isHeld());
        assertThatThrownBy(lock::unlock).isInstanceOf(AlreadyReleasedException.class).hasMessageContaining("lost");
        assertThat(pool.submit(() -> {
            boolean got = lock.tryLock();
            if (got) {
                lock.unlock();
            }
            return got;
        }).get(10, TimeUnit.SECONDS)).as("the local lock was released despite the loss").isTrue();
    }

    @Test
    void newConditionIsUnsupportedWithAReason() {
        Lock lock = Mutex.of("view-condition", TTL, driver).asLock();
        assertThatThrownBy(lock::newCondition).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("view-condition").hasMessageContaining("across processes");
    }
}
