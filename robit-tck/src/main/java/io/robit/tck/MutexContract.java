package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.AlreadyHeldException;
import io.robit.AlreadyReleasedException;
import io.robit.Held;
import io.robit.LockLostException;
import io.robit.LockTimeoutException;
import io.robit.Loss;
import io.robit.Mutex;
import io.robit.Stats;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link Mutex} semantics of DESIGN.md §2, run over a real driver. Extend it and supply the hooks
 * of {@link ContractSupport}.
 *
 * @param <ID> the driver's lock-name type
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class MutexContract<ID> extends SafetyContract<ID> {

    /** A mutex on {@code id} with the short test ttl and renewal at a third of it. */
    protected Mutex<ID> mutex(ID id, Driver<ID> driver) {
        return Mutex.builder(id, ttl(), driver).build();
    }

    @Test
    void lockAndUnlock() throws Exception {
        Mutex<ID> m = mutex(newLockId(), driver());
        Held held = m.lock();
        assertThat(m.isHeld()).isTrue();
        assertThat(held.isLost()).isFalse();
        m.unlock();
        assertThat(m.isHeld()).isFalse();
        Stats stats = m.stats();
        assertThat(stats.lockAcquired()).isEqualTo(1);
        assertThat(stats.lockReleased()).isEqualTo(1);
        assertThat(stats.lockLost()).isZero();
        assertThat(stats.holdSince()).isEmpty();
    }

    @Test
    void notReentrant() throws Exception {
        Mutex<ID> m = mutex(newLockId(), driver());
        m.lock();
        assertThatThrownBy(m::tryLock).isInstanceOf(AlreadyHeldException.class);
        assertThatThrownBy(m::lock).isInstanceOf(AlreadyHeldException.class);
        assertThatThrownBy(() -> m.tryLock(Duration.ofMillis(10))).isInstanceOf(AlreadyHeldException.class);
        m.unlock();
    }

    @Test
    void unlockWithoutLockAndDoubleUnlockThrow() throws Exception {
        Mutex<ID> m = mutex(newLockId(), driver());
        assertThatThrownBy(m::unlock).isInstanceOf(AlreadyReleasedException.class);
        m.lock();
        m.unlock();
        assertThatThrownBy(m::unlock).isInstanceOf(AlreadyReleasedException.class);
    }

    @Test
    void tryLockWhileAnotherProcessHoldsReturnsEmptyAndCountsAFailure() throws Exception {
        ID id = newLockId();
        Mutex<ID> a = mutex(id, driver());
        Mutex<ID> b = mutex(id, driver());
        a.lock();
        assertThat(b.tryLock()).isEmpty();
        assertThat(b.stats().lockFailed()).isEqualTo(1);
        assertThat(b.isHeld()).isFalse();
        a.unlock();
        assertThat(b.tryLock()).isPresent();
        b.unlock();
    }

    @Test
    void relockGetsAGreaterToken() throws Exception {
        Mutex<ID> m = mutex(newLockId(), driver());
        long first;
        try (Held held = m.lock()) {
            first = held.fencingToken();
        }
        try (Held held = m.lock()) {
            assertThat(held.fencingToken()).isGreaterThan(first);
        }
        assertThat(m.stats().lockAcquired()).isEqualTo(2);
    }

    @Test
    void renewalKeepsTheLockPastItsTtl() throws Exception {
        ID id = newLockId();
        Mutex<ID> a = mutex(id, driver());
        Mutex<ID> b = mutex(id, driver());
        Held held = a.lock();
        long end = System.nanoTime() + ttl().multipliedBy(5).dividedBy(2).toNanos();
        while (System.nanoTime() < end) {
            assertThat(b.tryLock()).as("renewed lock stays held").isEmpty();
            TimeUnit.MILLISECONDS.sleep(ttl().toMillis() / 4);
        }
        assertThat(a.isHeld()).isTrue();
        assertThat(held.isLost()).isFalse();
        assertThat(a.stats().renewSuccess()).isGreaterThanOrEqualTo(2);
        a.unlock();
    }

    @Test
    void lossBehindItsBackIsSignalledOnceWithoutUnlock() throws Exception {
        ID id = newLockId();
        AtomicInteger runnableCalls = new AtomicInteger();
        AtomicReference<Loss> seen = new AtomicReference<>();
        Mutex<ID> m = Mutex.builder(id, ttl(), driver())
                .onLost(runnableCalls::incrementAndGet)
                .onLost(seen::set)
                .build();
        Held held = m.lock();
        breakLease(id);
        await("onLost runs after the lease is broken").atMost(ttl().plus(slack())).until(() -> runnableCalls.get() == 1);
        await().atMost(slack()).until(() -> seen.get() != null);
        assertThat(seen.get().fencingToken()).isEqualTo(held.fencingToken());
        assertThat(held.lost()).isDone();
        assertThat(held.isLost()).isTrue();
        assertThat(m.isHeld()).isFalse();
        assertThat(m.stats().lockLost()).isEqualTo(1);
        assertThatThrownBy(m::unlock).isInstanceOf(AlreadyReleasedException.class);
        held.close();
        TimeUnit.MILLISECONDS.sleep(ttl().toMillis());
        assertThat(runnableCalls.get()).as("onLost runs exactly once").isEqualTo(1);
        try (Held again = m.lock()) {
            assertThat(again.fencingToken()).as("relock after loss").isGreaterThan(held.fencingToken());
        }
    }

    @Test
    void unlockNeverSignalsLoss() throws Exception {
        ID id = newLockId();
        AtomicInteger lost = new AtomicInteger();
        Mutex<ID> m = Mutex.builder(id, ttl(), driver()).onLost(lost::incrementAndGet).build();
        Held held = m.lock();
        m.unlock();
        TimeUnit.NANOSECONDS.sleep(ttl().plus(ttl()).toNanos());
        assertThat(lost.get()).isZero();
        assertThat(held.lost()).isNotDone();
        assertThat(held.isLost()).isFalse();
        assertThat(m.stats().lockLost()).isZero();
    }

    @Test
    void ofHundredConcurrentLockCallsExactlyOneWins() throws Exception {
        Mutex<ID> m = mutex(newLockId(), driver());
        List<Object> outcomes = race(100, m::tryLock);
        assertThat(outcomes.stream().filter(o -> o instanceof Optional<?> opt && opt.isPresent())).hasSize(1);
        assertThat(outcomes.stream().filter(o -> o instanceof AlreadyHeldException)).hasSize(99);
        m.unlock();
    }

    @Test
    void ofHundredConcurrentUnlocksExactlyOneWins() throws Exception {
        Mutex<ID> m = mutex(newLockId(), driver());
        m.lock();
        List<Object> outcomes = race(100, () -> {
            m.unlock();
            return "unlocked";
        });
        assertThat(outcomes.stream().filter("unlocked"::equals)).hasSize(1);
        assertThat(outcomes.stream().filter(o -> o instanceof AlreadyReleasedException)).hasSize(99);
        assertThat(m.stats().lockReleased()).isEqualTo(1);
    }

    @Test
    void tryLockWithWaitGetsTheLockWhenTheHolderUnlocks() throws Exception {
        ID id = newLockId();
        Mutex<ID> a = Mutex.builder(id, longTtl(), driver()).build();
        Mutex<ID> b = Mutex.builder(id, longTtl(), driver()).build();
        Held first = a.lock();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<Held>> waiter = pool.submit(() -> b.tryLock(longTtl()));
            TimeUnit.MILLISECONDS.sleep(300);
            assertThat(waiter).isNotDone();
            a.unlock();
            Optional<Held> second = waiter.get(slack().toMillis() + 1000, TimeUnit.MILLISECONDS);
            assertThat(second).isPresent();
            assertThat(second.get().fencingToken()).isGreaterThan(first.fencingToken());
            b.unlock();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tryLockWithWaitGivesUpAfterTheWait() throws Exception {
        ID id = newLockId();
        Mutex<ID> a = Mutex.builder(id, longTtl(), driver()).build();
        Mutex<ID> b = Mutex.builder(id, longTtl(), driver()).build();
        a.lock();
        long start = System.nanoTime();
        assertThat(b.tryLock(Duration.ofMillis(300))).isEmpty();
        long took = System.nanoTime() - start;
        assertThat(Duration.ofNanos(took)).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofMillis(300).plus(slack()));
        assertThat(b.stats().lockFailed()).isEqualTo(1);
        a.unlock();
    }

    @Test
    void interruptedWaitHoldsNothing() throws Exception {
        ID id = newLockId();
        Mutex<ID> a = Mutex.builder(id, longTtl(), driver()).build();
        Mutex<ID> b = Mutex.builder(id, longTtl(), driver()).build();
        a.lock();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Object> waiter = pool.submit(() -> {
                try {
                    return b.lock();
                } catch (InterruptedException e) {
                    return e;
                }
            });
            TimeUnit.MILLISECONDS.sleep(300);
            waiter.cancel(false);
            pool.shutdownNow();
            assertThat(pool.awaitTermination(slack().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(b.isHeld()).isFalse();
            a.unlock();
            Optional<Held> after = b.tryLock(slack());
            assertThat(after).as("the mutex is usable after an interrupted wait").isPresent();
            b.unlock();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withLockRunsTheWorkAndUnlocks() throws Exception {
        ID id = newLockId();
        Mutex<ID> m = mutex(id, driver());
        Mutex<ID> other = mutex(id, driver());
        String result = m.withLock(Duration.ofSeconds(5), () -> {
            assertThat(m.isHeld()).isTrue();
            assertThat(other.tryLock()).isEmpty();
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(m.isHeld()).isFalse();
        assertThat(other.tryLock()).isPresent();
        other.unlock();
    }

    @Test
    void withLockTimesOutWhenHeldElsewhere() throws Exception {
        ID id = newLockId();
        Mutex<ID> holder = mutex(id, driver());
        Mutex<ID> m = mutex(id, driver());
        holder.lock();
        assertThatThrownBy(() -> m.withLock(Duration.ofMillis(200), () -> "never")).isInstanceOf(LockTimeoutException.class);
        holder.unlock();
    }

    @Test
    void withLockInterruptsTheWorkOnLoss() throws Exception {
        ID id = newLockId();
        Mutex<ID> m = mutex(id, driver());
        CountDownLatch working = new CountDownLatch(1);
        AtomicReference<Throwable> fromWork = new AtomicReference<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> run = pool.submit(() -> m.withLock(Duration.ofSeconds(5), () -> {
                working.countDown();
                try {
                    TimeUnit.MINUTES.sleep(2);
                } catch (InterruptedException e) {
                    fromWork.set(e);
                    throw e;
                }
                return null;
            }));
            working.await();
            breakLease(id);
            await().atMost(ttl().plus(slack())).until(run::isDone);
            assertThatThrownBy(run::get).hasCauseInstanceOf(LockLostException.class);
            assertThat(fromWork.get()).isInstanceOf(InterruptedException.class);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rapidLockUnlockCycles() throws Exception {
        Mutex<ID> m = mutex(newLockId(), driver());
        long last = Long.MIN_VALUE;
        for (int i = 0; i < 50; i++) {
            try (Held held = m.lock()) {
                assertThat(held.fencingToken()).isGreaterThan(last);
                last = held.fencingToken();
            }
        }
        assertThat(m.stats().lockAcquired()).isEqualTo(50);
        assertThat(m.stats().lockReleased()).isEqualTo(50);
    }

    @Test
    void manyMutexesOverTwoDriversNeverOverlap() throws Exception {
        ID id = newLockId();
        List<Driver<ID>> drivers = List.of(driver(), driver());
        int workers = 6;
        int rounds = 10;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                Mutex<ID> m = Mutex.builder(id, longTtl(), drivers.get(w % 2)).build();
                done.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        m.withLock(longTtl(), () -> {
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            Thread.yield();
                            inside.decrementAndGet();
                            return null;
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(overlaps.get()).isZero();
    }

    /** Runs {@code action} on {@code n} threads released at once; returns each result or exception. */
    private static List<Object> race(int n, Callable<Object> action) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Object>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    try {
                        return action.call();
                    } catch (Exception e) {
                        return e;
                    }
                }));
            }
            ready.await();
            go.countDown();
            List<Object> outcomes = new ArrayList<>();
            for (Future<Object> f : futures) {
                outcomes.add(f.get(60, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
