package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;

/** A rival that tries a held lock while its backend fails over: a grant while the holder still believes is a double grant. */
final class FailoverRival {
    private final RedisDriver driver;
    private final String id;
    private final Duration ttl;
    private final Held held;

    FailoverRival(RedisDriver driver, String id, Duration ttl, Held held) {
        this.driver = driver;
        this.id = id;
        this.ttl = ttl;
        this.held = held;
    }

    /**
     * One attempt. Fails the test on a double grant, and also on a grant after the holder was told
     * (the failover tests expect the hold to survive). Errors of the backend are expected: the
     * master is down, not yet replaced, or has no replica to acknowledge.
     */
    void mustNotGet() throws InterruptedException {
        boolean holderToldBefore = held.isLost(); // read before the request is sent
        try {
            Optional<Lease> grant = driver.acquire(id, ttl, Duration.ofSeconds(2));
            if (grant.isPresent()) {
                driver.release(grant.get());
                assertThat(holderToldBefore).as("a rival was granted the held lock while its holder still believed it held it"
                        + " (double grant); holder: %s", held.lossReason()).isTrue();
                throw new AssertionError("the holder lost the lock during the failover: " + held.lossReason());
            }
        } catch (DriverException expected) {
            // no grant either way
        }
    }
}
