package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of leases that live on a backend session ({@link SessionLease}): the holds of one
 * driver share one session, the core renews them by keeping that session alive (no per-hold
 * request), and a session that ends tells every hold on it, each once, while the backend frees
 * their locks. Runs only for a driver whose leases are session leases (skipped otherwise); its
 * fixture must implement {@link DriverFixture#endSession}.
 *
 * @param <ID> the driver's lock-name type
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class SessionLeaseContract<ID> extends ContractSupport<ID> {

    /** How many holds share the session in each test: 8. */
    protected int holdsOnOneSession() {
        return 8;
    }

    @Test
    void aLostSessionTellsEveryHoldOnItOnce() throws Exception {
        SessionCountingDriver<ID> driver = new SessionCountingDriver<>(driver());
        assumeSessionLeases(driver);
        List<AtomicInteger> told = new ArrayList<>();
        List<Mutex<ID>> mutexes = new ArrayList<>();
        List<Held> holds = new ArrayList<>();
        // A long ttl: only the session's end, never a local deadline, may tell these holds.
        for (int i = 0; i < holdsOnOneSession(); i++) {
            AtomicInteger count = new AtomicInteger();
            Mutex<ID> m = Mutex.builder(newLockId(), longTtl(), driver).onLost(loss -> count.incrementAndGet()).build();
            told.add(count);
            mutexes.add(m);
            holds.add(m.tryLock(requestTimeout()).orElseThrow(() -> new AssertionError("a free lock is granted")));
        }
        Set<LeaseSession> sessions = sessionsOf(driver);
        assertThat(sessions).as("the holds of one driver with one ttl share one session").hasSize(1);
        LeaseSession session = sessions.iterator().next();
        endSession(SessionCountingDriver.unwrap(session));
        await().alias("every hold on the ended session is told").atMost(slack().multipliedBy(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> told.stream().allMatch(count -> count.get() >= 1));
        for (int i = 0; i < mutexes.size(); i++) {
            assertThat(mutexes.get(i).isHeld()).as("hold %d is not held once told", i).isFalse();
        }
        // Told once each, also after more keep-alives or notices could have come.
        await().alias("each hold is told once").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> told.stream().allMatch(count -> count.get() == 1));
        Mutex<ID>[] rivals = rivalsOf(mutexes);
        for (int i = 0; i < rivals.length; i++) {
            Optional<Held> taken = rivals[i].tryLock(slack());
            assertThat(taken).as("the backend freed lock %d with its session", i).isPresent();
            assertThat(taken.get().fencingToken()).isGreaterThan(holds.get(i).fencingToken());
            taken.get().close();
        }
    }

    @Test
    void holdsOnALiveSessionNeedNoPerHoldRequest() throws Exception {
        SessionCountingDriver<ID> driver = new SessionCountingDriver<>(driver());
        assumeSessionLeases(driver);
        Duration ttl = ttl();
        List<Mutex<ID>> mutexes = new ArrayList<>();
        long start = System.nanoTime(); // keep-alives are counted from the first acquire
        for (int i = 0; i < holdsOnOneSession(); i++) {
            Mutex<ID> m = Mutex.of(newLockId(), ttl, driver);
            mutexes.add(m);
            m.tryLock(requestTimeout()).orElseThrow(() -> new AssertionError("a free lock is granted"));
        }
        Set<LeaseSession> sessions = sessionsOf(driver);
        Duration holding = ttl.multipliedBy(2);
        // Waits for time to pass (two ttls), then looks: nothing here is a tight bound.
        await().pollDelay(holding).atMost(holding.plus(slack())).until(() -> true);
        // The core renews at a third of what the backend guarantees, which may be less than the ttl.
        Duration trusted = driver.leases.get(0).guaranteedTtl(ttl);
        double periods = (double) (System.nanoTime() - start) / (trusted.compareTo(ttl) < 0 ? trusted : ttl).dividedBy(3).toNanos();
        // One keep-alive per renew period for all the holds (twice that, for retries); one per hold would be many times as many.
        assertThat((double) driver.keepAlives.get())
                .as("keep-alives in %.1f renew periods for %d holds: about one per period, not one per hold", periods, holdsOnOneSession())
                .isLessThanOrEqualTo(2 * (periods + 1));
        assertThat(driver.refreshes.get()).as("no lease on a live session is refreshed on its own").isZero();
        assertThat(driver.keepAlives.get()).as("the session was kept alive").isPositive();
        for (int i = 0; i < mutexes.size(); i++) {
            assertThat(mutexes.get(i).isHeld()).as("hold %d, held for two ttls, was renewed with its session", i).isTrue();
            mutexes.get(i).unlock();
        }
        assertThat(sessions).as("the holds of one driver with one ttl share one session").hasSize(1);
    }

    /** Skips the test, after one acquire and release, unless the driver's leases are session leases. */
    private void assumeSessionLeases(SessionCountingDriver<ID> driver) throws Exception {
        Lease probe = driver.acquire(newLockId(), ttl(), requestTimeout()).orElseThrow(() -> new AssertionError("a free lock is granted"));
        driver.release(probe);
        driver.leases.clear();
        Assumptions.assumeTrue(probe instanceof SessionLease, "the driver's leases are not session leases (io.robit.spi.SessionLease)");
    }

    /** The sessions of the driver's leases. */
    private static Set<LeaseSession> sessionsOf(SessionCountingDriver<?> driver) {
        List<Lease> leases = driver.leases;
        assertThat(leases).as("every lease of a session-lease driver is one").allMatch(lease -> lease instanceof SessionLease);
        Set<LeaseSession> sessions = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Lease lease : leases) {
            sessions.add(((SessionLease) lease).session());
        }
        return sessions;
    }

    @SuppressWarnings("unchecked")
    private Mutex<ID>[] rivalsOf(List<Mutex<ID>> mutexes) throws Exception {
        var rival = driver();
        Mutex<ID>[] rivals = new Mutex[mutexes.size()];
        for (int i = 0; i < rivals.length; i++) {
            rivals[i] = Mutex.of(mutexes.get(i).id(), longTtl(), rival);
        }
        return rivals;
    }
}
