package io.robit.spring;

import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code robit} health component: up when the lock backend answers a read of one lock's state
 * (every Robit driver can inspect a lock), down with the error when it does not, unknown for a
 * driver that cannot be asked. Thread-safe.
 */
final class RobitHealthIndicator implements HealthIndicator {
    static final String PROBE = "robit-health-probe";

    private final Driver<String> driver;

    RobitHealthIndicator(Driver<String> driver) {
        this.driver = driver;
    }

    @Override
    public Health health() {
        String backend = driver.getClass().getSimpleName();
        if (!(driver instanceof Inspectable<?>)) {
            return Health.unknown().withDetail("backend", backend).withDetail("reason", "the driver cannot be asked for a lock's state").build();
        }
        @SuppressWarnings("unchecked")
        Inspectable<String> inspectable = (Inspectable<String>) driver;
        long start = System.nanoTime();
        try {
            inspectable.inspect(PROBE);
            return Health.up().withDetail("backend", backend).withDetail("latencyMillis", (System.nanoTime() - start) / 1_000_000).build();
        } catch (RuntimeException e) {
            return Health.down(e).withDetail("backend", backend).build();
        }
    }
}
