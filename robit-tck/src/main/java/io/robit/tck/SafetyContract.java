package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The safety contracts that issue 12's findings generalise, run over a real driver: an unlock on
 * an interrupted thread, one driver shared by many threads and names, ttl bounds, long ttls, and a
 * backend that becomes unreachable under hundreds of held locks. {@link MutexContract} extends it,
 * so every driver's mutex contract test runs these too.
 *
 * @param <ID> the driver's lock-name type
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class SafetyContract<ID> extends ContractSupport<ID> {

    /** How many held locks lose their backend in the outage contract: 250, or {@code -Drobit.tck.outageLocks}. */
    protected int outageLocks() {
        return Integer.getInteger("robit.tck.outageLocks", 250);
    }

    /** The lease of the outage contract's holds: {@link DriverFixture#outageTtl()}, 3 s unless the fixture says otherwise. */
    protected Duration outageTtl() {
        return fromFixture(DriverFixture::outageTtl, DriverFixture.DEFAULT_OUTAGE_TTL);
    }

    /**
     * The most threads the client may add while the outage contract's holds are acquired, lost
     * and released: a small constant, whatever {@link #outageLocks()} is.
     */
    protected int outageThreadBound() {
        return 48;
    }

    @Test
    void interruptedUnlockReleasesOnlyItsOwnLockAndKeepsTheFlag() throws Exception {
        Driver<ID> shared = driver();
        Driver<ID> rival = driver();
        ID mine = newLockId();
        ID bystanderId = newLockId();
        Held bystander = Mutex.of(bystanderId, longTtl(), shared).lock();
        Mutex<ID> rivalOfBystander = Mutex.of(bystanderId, longTtl(), rival);
        Mutex<ID> m = Mutex.of(mine, longTtl(), shared);
        Mutex<ID> rivalOfMine = Mutex.of(mine, longTtl(), rival);
        for (int round = 0; round < 10; round++) {
            Held held = m.lock();
            Thread.currentThread().interrupt(); // as after `catch (InterruptedException e) { interrupt(); }`
            boolean flagKept;
            try {
                held.close();
            } finally {
                flagKept = Thread.interrupted();
            }
            assertThat(flagKept).as("round %d: unlock leaves the interrupt flag set", round).isTrue();
            assertThat(m.isHeld()).isFalse();
            // Released at once, not at the ttl: the 60 s lease would outlast this wait many times over.
            Optional<Held> taken = rivalOfMine.tryLock(slack());
            assertThat(taken).as("round %d: another process gets the lock unlocked on an interrupted thread", round).isPresent();
            assertThat(taken.get().fencingToken()).isGreaterThan(held.fencingToken());
            rivalOfMine.unlock();
            assertThat(rivalOfBystander.tryLock()).as("round %d: the driver's other hold is untouched", round).isEmpty();
            assertThat(bystander.isLost()).isFalse();
        }
        bystander.close();
    }

    @Test
    void interruptedUnlocksOnOneThreadNeverFreeAnotherThreadsHold() throws Exception {
        // Issue 12's etcd reproduction: one thread churns lock/unlock with its interrupt flag set
        // while another thread of the same driver keeps taking a second lock; a rival process must
        // never be granted that second lock while its holder is not told it lost it.
        Driver<ID> shared = driver();
        Driver<ID> rival = driver();
        ID churnId = newLockId();
        ID heldId = newLockId();
        Mutex<ID> holder = Mutex.of(heldId, longTtl(), shared);
        Mutex<ID> rivalOfHeld = Mutex.of(heldId, longTtl(), rival);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        int stolen = 0;
        int checks = 0;
        try {
            Future<Integer> churn = pool.submit(() -> {
                Mutex<ID> m = Mutex.of(churnId, longTtl(), shared);
                int cycles = 0;
                while (!stop.get()) {
                    Held h = m.lock();
                    Thread.currentThread().interrupt();
                    h.close();
                    if (!Thread.interrupted()) {
                        throw new AssertionError("unlock cleared the interrupt flag");
                    }
                    cycles++;
                }
                return cycles;
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < end && !churn.isDone()) {
                Held held = holder.tryLock(slack()).orElseThrow(() -> new AssertionError("the free lock was not granted"));
                for (int i = 0; i < 3; i++) {
                    Optional<Held> rivalHold = rivalOfHeld.tryLock();
                    checks++;
                    if (rivalHold.isPresent()) {
                        if (!held.isLost()) {
                            stolen++;
                        }
                        rivalHold.get().close();
                    }
                }
                if (!held.isLost()) {
                    held.close();
                }
            }
            stop.set(true);
            assertThat(churn.get(60, TimeUnit.SECONDS)).as("interrupted lock/unlock cycles").isPositive();
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(stolen).as("rival grants of a lock held and not lost, in %d checks", checks).isZero();
    }

    @Test
    void oneDriverSharedByManyThreadsOnManyNamesStaysExclusiveWithGrowingTokens() throws Exception {
        Driver<ID> shared = driver();
        Driver<ID> rival = driver();
        int names = 4;
        int threads = 8;
        int rounds = 12;
        List<ID> ids = new ArrayList<>();
        for (int i = 0; i < names; i++) {
            ids.add(newLockId());
        }
        AtomicInteger[] inside = new AtomicInteger[names];
        for (int i = 0; i < names; i++) {
            inside[i] = new AtomicInteger();
        }
        AtomicLongArray lastToken = new AtomicLongArray(names);
        for (int i = 0; i < names; i++) {
            lastToken.set(i, Long.MIN_VALUE);
        }
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger regressions = new AtomicInteger();
        AtomicLong grants = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                // The last thread is another process; all the others share one driver.
                Driver<ID> driver = t == threads - 1 ? rival : shared;
                done.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        int n = (thread + r) % names;
                        Mutex<ID> m = Mutex.of(ids.get(n), longTtl(), driver);
                        Held held = m.tryLock(longTtl()).orElseThrow(() -> new AssertionError("no grant within the wait"));
                        if (inside[n].incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        long token = held.fencingToken();
                        if (token <= lastToken.getAndSet(n, token)) {
                            regressions.incrementAndGet();
                        }
                        grants.incrementAndGet();
                        TimeUnit.MILLISECONDS.sleep(2);
                        inside[n].decrementAndGet();
                        if (r % 3 == 0) {
                            // Every third unlock on an interrupted thread: it must still free only this lock.
                            Thread.currentThread().interrupt();
                            held.close();
                            Thread.interrupted();
                        } else {
                            held.close();
                        }
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
        assertThat(grants.get()).isEqualTo((long) threads * rounds);
        assertThat(overlaps.get()).as("two holders of one name at once").isZero();
        assertThat(regressions.get()).as("a token not greater than the previous holder's").isZero();
    }

    @Test
    void ttlsOutOfBoundsAreRefusedBeforeAnyIoAndStrandNothing() throws Exception {
        Driver<ID> driver = driver();
        ID id = newLockId();
        for (Duration bad : List.of(Duration.ofNanos(1), Duration.ofNanos(999_999), Duration.ofDays(365L * 300), Duration.ofSeconds(Long.MAX_VALUE))) {
            assertThatThrownBy(() -> Mutex.builder(id, bad, driver).build()).as("ttl %s", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        }
        Mutex<ID> other = Mutex.of(id, ttl(), driver());
        assertThat(other.tryLock()).as("a refused ttl took nothing").isPresent();
        other.unlock();

        // The longest ttl the builder accepts either works or is refused by the driver, and
        // never leaves the lock taken.
        Mutex<ID> longest = Mutex.of(id, Duration.ofDays(36_500), driver);
        try {
            longest.tryLock().ifPresent(Held::close);
        } catch (IllegalArgumentException | DriverException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
        assertThat(other.tryLock(slack())).as("the longest ttl stranded the lock").isPresent();
        other.unlock();
    }

    @Test
    void aLongTtlAcquiresAFreeLockAtOnce() throws Exception {
        ID id = newLockId();
        Mutex<ID> m = Mutex.of(id, Duration.ofHours(3), driver());
        Mutex<ID> rival = Mutex.of(id, ttl(), driver());
        Optional<Held> held = m.tryLock(slack());
        assertThat(held).as("a free lock with a 3 h ttl").isPresent();
        assertThat(m.isHeld()).isTrue();
        assertThat(m.stats().lockAcquired()).isEqualTo(1);
        assertThat(rival.tryLock()).as("held by the 3 h hold, not by a leftover of its attempts").isEmpty();
        m.unlock();
        assertThat(rival.tryLock(slack())).isPresent();
        rival.unlock();
    }

    @Test
    void hundredsOfHoldsLosingTheirBackendAddOnlyABoundedNumberOfThreads() throws Exception {
        OutageSupport<ID> outage = OutageSupport.start(this);
        try {
            Driver<ID> driver = outage.driver();
            warmUp(driver);
            int before = OutageSupport.clientThreads();
            int locks = outageLocks();
            AtomicInteger lost = new AtomicInteger();
            List<ID> ids = new ArrayList<>();
            List<Held> holds = new ArrayList<>();
            for (int i = 0; i < locks; i++) {
                ID id = newLockId();
                ids.add(id);
                Mutex<ID> m = Mutex.builder(id, outageTtl(), driver).onLost(lost::incrementAndGet).build();
                holds.add(m.tryLock(slack()).orElseThrow(() -> new AssertionError("free lock not granted")));
            }
            int peak = Math.max(before, OutageSupport.clientThreads());
            Map<String, Long> atPeak = OutageSupport.clientThreadNames();
            outage.cut(ids);
            long end = System.nanoTime() + outageTtl().plus(slack()).plus(slack()).toNanos();
            while (lost.get() < locks && System.nanoTime() < end) {
                int now = OutageSupport.clientThreads();
                if (now > peak) {
                    peak = now;
                    atPeak = OutageSupport.clientThreadNames();
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
            assertThat(lost.get()).as("holds told they are lost (%d of them know it)", holds.stream().filter(Held::isLost).count()).isEqualTo(locks);
            assertThat(holds).allMatch(Held::isLost);
            // Releases after the loss and reconnection attempts go on for a while: keep watching.
            long watchEnd = System.nanoTime() + Math.min(outageTtl().toNanos(), TimeUnit.SECONDS.toNanos(3));
            while (System.nanoTime() < watchEnd) {
                int now = OutageSupport.clientThreads();
                if (now > peak) {
                    peak = now;
                    atPeak = OutageSupport.clientThreadNames();
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
            System.out.printf("outage contract (%s): %d held locks lost their backend; client threads %d before, %d at peak%n",
                    getClass().getSimpleName(), locks, before, peak);
            assertThat(peak - before).as("threads added by %d held locks losing their backend (from %d; at the peak: %s)", locks, before, atPeak)
                    .isLessThanOrEqualTo(outageThreadBound());
            outage.restore();
            Mutex<ID> after = Mutex.of(ids.get(0), ttl(), driver());
            assertThat(after.tryLock(outageTtl().plus(slack()))).as("the lock is free again after the outage").isPresent();
            after.unlock();
        } finally {
            outage.close();
        }
    }

    // The driver's first call sets up its connections: give it the plain request timeout.
    private void warmUp(Driver<ID> driver) throws Exception {
        Mutex<ID> m = Mutex.builder(newLockId(), longTtl(), driver).renewTimeout(requestTimeout()).build();
        assertThat(m.tryLock(slack())).as("a free lock through the proxy").isPresent();
        m.unlock();
    }

    // Reached by OutageSupport, which lives in its own file.
    Driver<ID> openedDriver(boolean viaProxy, InetSocketAddress address) throws Exception {
        return closedAfterTest(viaProxy ? newDriverVia(address) : newDriver());
    }

    void breakLeaseOf(ID id) throws Exception {
        breakLease(id);
    }

    Optional<InetSocketAddress> server() {
        return serverAddress();
    }
}
