package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.LockLostException;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver contract: what every {@link Driver} must do, checked against a real backend.
 * Extend it, supply the hooks of {@link ContractSupport}, and run it: the waiting contract
 * ({@link ContentionContract}) runs with it, as the nested {@link Waiting} class, over the same hooks.
 *
 * @param <ID> the driver's lock-name type
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class DriverContract<ID> extends ContractSupport<ID> {

    @Test
    void contendedAcquireReturnsEmpty() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease lease = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        assertThat(b.acquire(id, longTtl(), requestTimeout())).as("second process while the first holds").isEmpty();
        assertThat(a.acquire(id, longTtl(), requestTimeout())).as("same process, second lease").isEmpty();
        a.release(lease);
    }

    @Test
    void releaseThenReacquire() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease first = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        a.release(first);
        Lease second = b.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        b.release(second);
        assertThat(a.acquire(id, longTtl(), requestTimeout())).isPresent().get().satisfies(a::release);
    }

    @Test
    void releaseOnAnInterruptedThreadFreesTheLockAndKeepsTheFlag() throws Exception {
        // The core clears the flag around release; a driver must not depend on that.
        ID id = newLockId();
        ID other = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease lease = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        Lease kept = a.acquire(other, longTtl(), requestTimeout()).orElseThrow();
        Thread.currentThread().interrupt();
        boolean flagKept;
        try {
            a.release(lease);
        } finally {
            flagKept = Thread.interrupted();
        }
        assertThat(flagKept).as("release leaves the interrupt flag set").isTrue();
        Lease next = await("another process gets the lock long before its 60 s ttl").atMost(slack()).pollInterval(Duration.ofMillis(50))
                .until(() -> b.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        assertThat(next.fencingToken()).isGreaterThan(lease.fencingToken());
        assertThat(b.acquire(other, longTtl(), requestTimeout())).as("the driver's other lease is untouched").isEmpty();
        assertThat(kept.lost()).isNotDone();
        b.release(next);
        a.release(kept);
    }

    @Test
    void doubleReleaseIsNoOpAndNeverFreesTheNextHolder() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease first = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        a.release(first);
        a.release(first);
        Lease second = b.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        a.release(first);
        assertThat(a.acquire(id, longTtl(), requestTimeout())).as("the second holder must still hold it").isEmpty();
        b.release(second);
    }

    @Test
    void unrefreshedLeaseExpiresAndAnotherProcessAcquires() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        long sent = System.nanoTime();
        Lease first = a.acquire(id, ttl(), requestTimeout()).orElseThrow();
        Lease second = await("another process acquires after the ttl").atMost(ttl().plus(slack())).pollInterval(Duration.ofMillis(50))
                .until(() -> b.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        long waited = System.nanoTime() - sent;
        assertThat(Duration.ofNanos(waited)).as("the lease must not end before its ttl").isGreaterThanOrEqualTo(ttl().minus(earlyExpiryTolerance()));
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        b.release(second);
        a.release(first);
    }

    @Test
    void refreshExtendsTheLease() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease lease = a.acquire(id, ttl(), requestTimeout()).orElseThrow();
        long end = System.nanoTime() + ttl().multipliedBy(2).toNanos();
        while (System.nanoTime() < end) {
            lease.refresh(ttl(), requestTimeout());
            assertThat(b.acquire(id, longTtl(), requestTimeout())).as("held while refreshed").isEmpty();
            TimeUnit.NANOSECONDS.sleep(ttl().toNanos() / 4);
        }
        assertThat(lease.lost()).isNotDone();
        a.release(lease);
    }

    @Test
    void refreshAfterExpiryThrowsLockLost() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease lease = a.acquire(id, ttl(), requestTimeout()).orElseThrow();
        Lease other = await().atMost(ttl().plus(slack())).pollInterval(Duration.ofMillis(50))
                .until(() -> b.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        assertThatThrownBy(() -> lease.refresh(ttl(), requestTimeout())).isInstanceOf(LockLostException.class);
        await().atMost(slack()).until(() -> lease.lost().isDone());
        assertThat(b.acquire(id, longTtl(), requestTimeout())).as("the refresh must not have taken it back").isEmpty();
        b.release(other);
        a.release(lease);
    }

    @Test
    void refreshAfterBreakThrowsLockLostAndLostCompletes() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Lease lease = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        CompletableFuture<Void> lost = lease.lost();
        assertThat(lost).isNotDone();
        breakLease(id);
        try {
            lease.refresh(longTtl(), requestTimeout());
        } catch (LockLostException expected) {
            // Drivers with push notification may already have noticed; a refresh must notice.
        }
        await("lost() completes after the lease is broken").atMost(slack()).until(lost::isDone);
        assertThatThrownBy(() -> lease.refresh(longTtl(), requestTimeout())).isInstanceOf(LockLostException.class);
        a.release(lease);
    }

    @Test
    void refreshAfterTakeoverThrowsLockLost() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease lease = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        breakLease(id);
        Lease taker = await().atMost(slack()).pollInterval(Duration.ofMillis(50))
                .until(() -> b.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        assertThatThrownBy(() -> lease.refresh(longTtl(), requestTimeout())).isInstanceOf(LockLostException.class);
        a.release(lease);
        assertThat(a.acquire(id, longTtl(), requestTimeout())).as("a stale release must not free the taker").isEmpty();
        b.release(taker);
    }

    @Test
    void staleReleaseAfterExpiryNeverFreesTheCurrentHolder() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Driver<ID> c = driver();
        Lease stale = a.acquire(id, ttl(), requestTimeout()).orElseThrow();
        Lease current = await().atMost(ttl().plus(slack())).pollInterval(Duration.ofMillis(50))
                .until(() -> b.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        a.release(stale);
        assertThat(c.acquire(id, longTtl(), requestTimeout())).as("the current holder must still hold it").isEmpty();
        b.release(current);
    }

    @Test
    void lostCompletesWhenTheLeaseExpires() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Lease lease = a.acquire(id, ttl(), requestTimeout()).orElseThrow();
        // Drivers without push notification learn of expiry from a refresh; keep asking, as the core would.
        await("lost() completes after expiry").atMost(ttl().plus(slack())).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!lease.lost().isDone()) {
                try {
                    lease.refresh(Duration.ofMillis(1), requestTimeout());
                } catch (LockLostException expected) {
                    return true;
                }
            }
            return lease.lost().isDone();
        });
        // A driver may complete lost() just after its refresh threw.
        await("lost() completes once a refresh reported the loss").atMost(slack()).until(() -> lease.lost().isDone());
        a.release(lease);
    }

    @Test
    void lostDoesNotCompleteOnRelease() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Lease lease = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        a.release(lease);
        // Give push-notified drivers time to (wrongly) react to their own delete.
        TimeUnit.MILLISECONDS.sleep(300);
        assertThat(lease.lost()).as("a release is not a loss").isNotDone();
    }

    @Test
    void fencingTokensStrictlyGrowAcrossReleaseExpiryAndTakeover() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        List<Long> tokens = new ArrayList<>();
        Lease released = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        tokens.add(released.fencingToken());
        a.release(released);
        Lease expiring = b.acquire(id, ttl(), requestTimeout()).orElseThrow();
        tokens.add(expiring.fencingToken());
        Lease afterExpiry = await().atMost(ttl().plus(slack())).pollInterval(Duration.ofMillis(50))
                .until(() -> a.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        tokens.add(afterExpiry.fencingToken());
        breakLease(id);
        Lease afterTakeover = await().atMost(slack()).pollInterval(Duration.ofMillis(50))
                .until(() -> b.acquire(id, longTtl(), requestTimeout()), Optional::isPresent).orElseThrow();
        tokens.add(afterTakeover.fencingToken());
        b.release(afterTakeover);
        a.release(afterExpiry);
        b.release(expiring);
        assertThat(tokens).as("tokens in acquisition order").isSorted().doesNotHaveDuplicates();
    }

    @Test
    void awaitReleaseReturnsSoonAfterTheHolderReleases() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease lease = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch waiting = new CountDownLatch(1);
            Future<Long> woke = pool.submit(() -> {
                // Re-check after each wake, as the core does, until the lock is ours.
                waiting.countDown();
                long deadline = System.nanoTime() + longTtl().toNanos();
                while (System.nanoTime() < deadline) {
                    Optional<Lease> got = b.acquire(id, longTtl(), requestTimeout());
                    if (got.isPresent()) {
                        long at = System.nanoTime();
                        b.release(got.get());
                        return at;
                    }
                    b.awaitRelease(id, Duration.ofNanos(deadline - System.nanoTime()));
                }
                return -1L;
            });
            waiting.await();
            TimeUnit.MILLISECONDS.sleep(300);
            long released = System.nanoTime();
            a.release(lease);
            long wokeAt = woke.get(longTtl().toSeconds(), TimeUnit.SECONDS);
            assertThat(wokeAt).as("the waiter got the lock").isPositive();
            assertThat(Duration.ofNanos(wokeAt - released)).as("handoff after release, far below the 60 s ttl")
                    .isLessThan(slack());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void awaitReleaseHonoursMaxWait() throws Exception {
        ID id = newLockId();
        Driver<ID> a = driver();
        Driver<ID> b = driver();
        Lease lease = a.acquire(id, longTtl(), requestTimeout()).orElseThrow();
        long start = System.nanoTime();
        b.awaitRelease(id, Duration.ofMillis(200));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200).plus(slack()));
        b.awaitRelease(id, Duration.ZERO);
        a.release(lease);
    }

    @Test
    void badIdsAndTtlsAreRejectedBeforeAnyIo() throws Exception {
        Driver<ID> a = driver();
        assertThatThrownBy(() -> a.acquire(null, longTtl(), requestTimeout())).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> a.validate(null)).isInstanceOf(NullPointerException.class);
        for (ID bad : invalidIds()) {
            assertThatThrownBy(() -> a.validate(bad)).as("validate(%s)", bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> a.acquire(bad, longTtl(), requestTimeout())).as("acquire(%s)", bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        ID id = newLockId();
        assertThatThrownBy(() -> a.acquire(id, Duration.ZERO, requestTimeout())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.acquire(id, Duration.ofSeconds(-1), requestTimeout())).isInstanceOf(IllegalArgumentException.class);
        assertThat(a.acquire(id, longTtl(), requestTimeout())).as("rejected calls took nothing").isPresent().get().satisfies(a::release);
    }

    @Test
    void fuzzManyThreadsOverTwoDriversLoseNoUpdate() throws Exception {
        ID id = newLockId();
        List<Driver<ID>> drivers = List.of(driver(), driver());
        int threads = 8;
        int rounds = fuzzRounds();
        AtomicLong counter = new AtomicLong();
        AtomicLong lastToken = new AtomicLong(Long.MIN_VALUE);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Driver<ID> d = drivers.get(t % drivers.size());
                done.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        Lease lease = null;
                        while (lease == null) {
                            lease = d.acquire(id, longTtl(), requestTimeout()).orElse(null);
                            if (lease == null) {
                                d.awaitRelease(id, Duration.ofMillis(100));
                            }
                        }
                        long previous = lastToken.getAndSet(lease.fencingToken());
                        if (lease.fencingToken() <= previous) {
                            violations.add("token " + lease.fencingToken() + " after " + previous);
                        }
                        // A separate read and write: only the lock keeps them from interleaving.
                        long read = counter.get();
                        Thread.yield();
                        counter.set(read + 1);
                        d.release(lease);
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
        assertThat(violations).isEmpty();
        assertThat(counter.get()).as("no lost update").isEqualTo((long) threads * rounds);
    }

    /** Rounds per thread in the fuzz test; lower it for slow backends. */
    protected int fuzzRounds() {
        return 25;
    }

    /**
     * How much earlier than its ttl a lease may appear to expire, to absorb the backend's clock
     * granularity. Default 50 ms.
     */
    protected Duration earlyExpiryTolerance() {
        return Duration.ofMillis(50);
    }

    /** The {@link ContentionContract} over this contract's hooks, so that every driver's conformance test runs it. */
    @Nested
    class Waiting extends ContentionContract<ID> {
        @Override
        protected Driver<ID> newDriver() throws Exception {
            return DriverContract.this.newDriver();
        }

        @Override
        protected ID newLockId() {
            return DriverContract.this.newLockId();
        }

        @Override
        protected void breakLease(ID id) throws Exception {
            DriverContract.this.breakLease(id);
        }

        @Override
        protected Duration ttl() {
            return DriverContract.this.ttl();
        }

        @Override
        protected Duration slack() {
            return DriverContract.this.slack();
        }

        @Override
        protected Duration longTtl() {
            return DriverContract.this.longTtl();
        }

        @Override
        protected Duration requestTimeout() {
            return DriverContract.this.requestTimeout();
        }

        @Override
        protected int virtualThreadWaiters() {
            return DriverContract.this.virtualThreadWaiters();
        }
    }

    /** How many virtual-thread waiters the waiting contract starts (JDK 21+ only); lower it for a slow backend. */
    protected int virtualThreadWaiters() {
        return 10_000;
    }
}
