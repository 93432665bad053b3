package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, item 10 (Redis): with a ttl of 1 ms, a grant that reaches the caller after its local
 * deadline (0.9 ms after the send) is given back at once; the lock is then free, so Redis's wait
 * returns at once too, and {@code lock()} spun: grant, give back, grant, without ever sleeping.
 * Here every grant is made late (2 ms), against the real server: the retries must back off.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisTinyTtlIT {
    private static final Duration WAIT = Duration.ofSeconds(1);
    /** The core waits at least 50 ms after a late grant. */
    private static final int MOST_GRANTS = (int) (WAIT.toMillis() / 50) + 1;

    @Test
    void lateGrantsOfATinyTtlAreRetriedWithABackoffNotASpin() throws Exception {
        try (RedisDriver real = RedisDriver.open(TestRedis.uri())) {
            String id = "tiny-ttl-" + System.nanoTime();
            real.release(real.acquire(id, Duration.ofSeconds(5), Duration.ofSeconds(5)).orElseThrow()); // connects
            AtomicInteger grants = new AtomicInteger();
            Driver<String> slow = new LateGrants(real, grants);
            Mutex<String> mutex = Mutex.builder(id, Duration.ofMillis(1), slow).renewTimeout(Duration.ofSeconds(1)).build();

            Optional<Held> held = mutex.tryLock(WAIT);

            assertThat(held).as("every grant arrives after its local deadline").isEmpty();
            assertThat(grants.get()).as("grants in %s (each given back)", WAIT).isBetween(1, MOST_GRANTS);
            assertThat(real.inspect(id).orElseThrow().held()).as("no late grant is left held").isFalse();
        }
    }

    /** The Redis driver, with every acquire answered 2 ms late. */
    private record LateGrants(RedisDriver real, AtomicInteger grants) implements Driver<String> {
        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            Optional<Lease> lease = real.acquire(id, ttl, timeout);
            lease.ifPresent(granted -> grants.incrementAndGet());
            TimeUnit.MILLISECONDS.sleep(2);
            return lease;
        }

        @Override
        public void release(Lease lease) {
            real.release(lease);
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            real.awaitRelease(id, maxWait);
        }

        @Override
        public void validate(String id) {
            real.validate(id);
        }
    }
}
