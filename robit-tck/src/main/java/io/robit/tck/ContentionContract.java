package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The waiting contract of {@link Driver#contend} and {@link Contention}: a contention's calls may
 * come from different threads, its close leaves nothing behind, and many waiters on virtual
 * threads all end cleanly. {@link DriverContract} runs it for every driver (as its nested
 * {@code Waiting} class); it can also be extended on its own.
 *
 * @param <ID> the driver's lock-name type
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ContentionContract<ID> extends ContractSupport<ID> {

    /** How many virtual-thread waiters each virtual-thread test starts. */
    protected int virtualThreadWaiters() {
        return 10_000;
    }

    @Test
    void aContentionWaitedOnOneThreadIsCompletedOnAnother() throws Exception {
        ID id = newLockId();
        Driver<ID> holder = driver();
        Driver<ID> waiter = driver();
        Driver<ID> later = driver();
        Lease held = holder.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        ExecutorService first = Executors.newSingleThreadExecutor();
        ExecutorService second = Executors.newSingleThreadExecutor();
        try {
            Contention contention = waiter.contend(id, longTtl(), requestTimeout());
            assertThat(on(first, contention::tryAcquire)).as("attempt while held").isEmpty();
            on(first, () -> {
                contention.awaitRelease(Duration.ofMillis(100));
                return null;
            });
            holder.release(held);
            // Every further attempt on the second thread, every wait on the first.
            Optional<Lease> got = Optional.empty();
            long deadline = System.nanoTime() + slack().toNanos();
            while (got.isEmpty() && System.nanoTime() - deadline < 0) {
                got = on(second, contention::tryAcquire);
                if (got.isEmpty()) {
                    on(first, () -> {
                        contention.awaitRelease(Duration.ofMillis(100));
                        return null;
                    });
                }
            }
            assertThat(got).as("the contention gets the lock after the holder released it, attempting from another thread").isPresent();
            assertThat(got.get().fencingToken()).isGreaterThan(held.fencingToken());
            on(second, () -> {
                contention.close();
                return null;
            });
            waiter.release(got.get());
            assertTakenPromptly(later, id);
        } finally {
            first.shutdownNow();
            second.shutdownNow();
        }
    }

    @Test
    void closingOnAnotherThreadLeavesNothingBehind() throws Exception {
        ID id = newLockId();
        Driver<ID> holder = driver();
        Driver<ID> waiter = driver();
        Driver<ID> later = driver();
        Lease held = holder.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        ExecutorService first = Executors.newSingleThreadExecutor();
        try {
            Contention contention = waiter.contend(id, longTtl(), requestTimeout());
            assertThat(on(first, contention::tryAcquire)).isEmpty();
            on(first, () -> {
                contention.awaitRelease(Duration.ofMillis(50));
                return null;
            });
            contention.close(); // on this thread, never the one that attempted
        } finally {
            first.shutdownNow();
        }
        holder.release(held);
        assertTakenPromptly(later, id);
    }

    @Test
    void closingOnAnInterruptedThreadStillCleansUp() throws Exception {
        ID id = newLockId();
        Driver<ID> holder = driver();
        Driver<ID> waiter = driver();
        Driver<ID> later = driver();
        Lease held = holder.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        Contention contention = waiter.contend(id, longTtl(), requestTimeout());
        assertThat(contention.tryAcquire()).isEmpty();
        Thread.currentThread().interrupt();
        try {
            contention.close();
        } finally {
            Thread.interrupted();
        }
        holder.release(held);
        assertTakenPromptly(later, id);
    }

    @Test
    void anAsyncLockWhoseWaitCompletesOnAnotherThreadGetsTheLock() throws Exception {
        ID id = newLockId();
        Driver<ID> holderDriver = driver();
        WatchedDriver<ID> watched = new WatchedDriver<>(driver());
        Mutex<ID> holder = Mutex.of(id, longTtl(), holderDriver);
        Mutex<ID> waiter = Mutex.of(id, longTtl(), watched);
        Held held = holder.tryLock().orElseThrow();
        CompletableFuture<Held> pending = waiter.lockAsync();
        await("the async call has waited once").atMost(slack()).until(() -> watched.waits.get() >= 1);
        assertThat(pending).isNotDone();
        held.close();
        Held got = pending.get(slack().toMillis() + ttl().toMillis(), TimeUnit.MILLISECONDS);
        assertThat(got.fencingToken()).isGreaterThan(held.fencingToken());
        assertThat(watched.closes.get()).as("closed once, before the future completed").isEqualTo(1);
        assertThat(watched.problems).as("calls on one contention never overlap, none after close").isEmpty();
        got.close();
        assertTakenPromptly(driver(), id);
        assertThat(watched.closes.get()).isEqualTo(1);
    }

    @Test
    void virtualThreadWaitersAllGetTheLockInTurn() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21");
        Waiters waiters = startVirtualWaiters(Duration.ofSeconds(60), Waiters.RELEASE_AT_ONCE);
        assertThat(waiters.timedOut.get()).as("no waiter ran out of its 60 s wait").isZero();
        assertThat(waiters.granted.get()).as("every waiter got the lock").isEqualTo(virtualThreadWaiters());
    }

    @Test
    void virtualThreadWaitersTimeOutCleanly() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21");
        Waiters waiters = startVirtualWaiters(Duration.ofMillis(300), Waiters.HOLD_THROUGHOUT);
        assertThat(waiters.granted.get()).as("no waiter got the lock while it was held").isZero();
        assertThat(waiters.timedOut.get()).as("every waiter timed out").isEqualTo(virtualThreadWaiters());
    }

    /**
     * Starts {@link #virtualThreadWaiters()} virtual threads, each doing {@code tryLock(wait)} on a
     * mutex of its own over one driver while a first holder has the lock; the holder releases at once
     * or only after every waiter ended. Checks that none failed and no two held at once, then that
     * nothing was left queued: another party takes the lock promptly.
     */
    private Waiters startVirtualWaiters(Duration wait, boolean holdThroughout) throws Exception {
        int count = virtualThreadWaiters();
        ID id = newLockId();
        Driver<ID> shared = driver();
        Held initial = Mutex.of(id, longTtl(), shared).tryLock().orElseThrow();
        Waiters waiters = new Waiters();
        ExecutorService threads = virtualThreadPerTask();
        try {
            for (int i = 0; i < count; i++) {
                threads.execute(() -> waiters.run(Mutex.of(id, longTtl(), shared), wait));
            }
            if (!holdThroughout) {
                initial.close(); // the waiters now take it in turn
            }
        } finally {
            threads.shutdown();
        }
        assertThat(threads.awaitTermination(wait.toSeconds() + slack().toSeconds() + 60, TimeUnit.SECONDS))
                .as("every waiter ended").isTrue();
        initial.close();
        assertThat(waiters.errors).as("no waiter failed").isEmpty();
        assertThat(waiters.maxInside.get()).as("never two holders at once").isLessThanOrEqualTo(1);
        assertTakenPromptly(driver(), id);
        return waiters;
    }

    /** What the virtual-thread waiters saw. */
    private static final class Waiters {
        static final boolean RELEASE_AT_ONCE = false;
        static final boolean HOLD_THROUGHOUT = true;
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger maxInside = new AtomicInteger();
        final AtomicInteger granted = new AtomicInteger();
        final AtomicInteger timedOut = new AtomicInteger();
        final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();

        void run(Mutex<?> mutex, Duration wait) {
            try {
                Optional<Held> held = mutex.tryLock(wait);
                if (held.isEmpty()) {
                    timedOut.incrementAndGet();
                    return;
                }
                maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                inside.decrementAndGet();
                granted.incrementAndGet();
                held.get().close();
            } catch (Throwable t) {
                errors.add(t);
            }
        }
    }

    /** A single attempt by another party gets the lock soon: no waiter, queued node or lease was left. */
    private void assertTakenPromptly(Driver<ID> other, ID id) {
        Lease next = await("another party takes the freed lock well before any ttl").atMost(slack()).pollInterval(Duration.ofMillis(50))
                .until(() -> other.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        other.release(next);
    }

    private static <T> T on(ExecutorService thread, Callable<T> call) throws Exception {
        try {
            return thread.submit(call).get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()}, reached by reflection: the kit compiles for Java 17. */
    private static ExecutorService virtualThreadPerTask() {
        try {
            return (ExecutorService) MethodHandles.publicLookup()
                    .findStatic(Executors.class, "newVirtualThreadPerTaskExecutor", MethodType.methodType(ExecutorService.class))
                    .invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("no virtual threads on JDK " + Runtime.version(), e);
        }
    }
}
