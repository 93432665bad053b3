package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The orphan check of a fault run, against a {@link LocalDriver}: a name someone holds is reported;
 * a name the check itself took in an attempt whose answer it never got (an error after the backend
 * granted it) is not, however long the check's own lease keeps it taken, and neither is a name
 * granted with a slow answer. The old check reported both as orphaned locks: every name had only the
 * run's ttl plus the slack, and it asked through a {@code Mutex}, which gives back a grant that
 * returns after its local deadline (seen at load 25: "acquire ... returned after its local deadline;
 * releasing it", then "held by someone else").
 */
class OrphanCheckTest {
    private static final Duration RUN_TTL = Duration.ofMillis(100);
    private static final Duration SLACK = Duration.ofMillis(200);
    private static final Duration OWN_TTL = Duration.ofMillis(1200);

    /** Grants the first acquire of each name and then fails it, as a reply lost after the backend applied it. */
    private static final class LostFirstAnswer implements Driver<String> {
        private final LocalDriver<String> inner = LocalDriver.create();
        private final Set<String> answered = ConcurrentHashMap.newKeySet();

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            Optional<Lease> lease = inner.acquire(id, ttl, timeout);
            if (answered.add(id)) {
                throw new DriverException("no answer within " + timeout + " (the backend granted it)", null);
            }
            return lease;
        }

        @Override
        public void release(Lease lease) {
            inner.release(lease);
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            inner.awaitRelease(id, maxWait);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void aNameTheCheckItselfTookInAnAttemptWhoseAnswerWasLostIsNotAnOrphan() throws Exception {
        try (LostFirstAnswer driver = new LostFirstAnswer()) {
            long start = System.nanoTime();
            String orphan = new OrphanCheck(driver, RUN_TTL, SLACK, OWN_TTL).check("warm-up", List.of("a", "b"));
            assertThat(orphan).isNull();
            // It did wait for its own lost grant to expire: longer than the run's ttl plus the slack.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(OWN_TTL);
        }
    }

    /** A grant answered only after the check's own lease: a {@code Mutex} gives it back and says "taken". */
    @Test
    void aGrantWhoseAnswerCameAfterTheChecksOwnLeaseStillMeansTheNameWasFree() throws Exception {
        try (LocalDriver<String> inner = LocalDriver.create()) {
            Driver<String> slow = new Driver<>() {
                @Override
                public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
                    Optional<Lease> lease = inner.acquire(id, ttl, timeout);
                    Thread.sleep(OWN_TTL.toMillis() + 100); // the injected fault: a cold client's slow answer
                    return lease;
                }

                @Override
                public void release(Lease lease) {
                    inner.release(lease);
                }

                @Override
                public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
                    inner.awaitRelease(id, maxWait);
                }
            };
            assertThat(new OrphanCheck(slow, RUN_TTL, SLACK, OWN_TTL).check("warm-up", List.of("a"))).isNull();
        }
    }

    @Test
    void aNameSomeoneStillHoldsIsAnOrphanAndSaysWhatTheCheckSaw() throws Exception {
        try (LocalDriver<String> driver = LocalDriver.create()) {
            Mutex<String> holder = Mutex.builder("b", Duration.ofSeconds(30), driver).build();
            try (Held held = holder.lock()) {
                String orphan = new OrphanCheck(driver, RUN_TTL, SLACK, OWN_TTL).check("warm-up", List.of("a", "b"));
                assertThat(orphan).startsWith("b: held by someone else").doesNotContain("errors");
            }
        }
    }
}
