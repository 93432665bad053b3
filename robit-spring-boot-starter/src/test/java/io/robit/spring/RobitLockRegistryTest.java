package io.robit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.local.LocalDriver;
import java.time.Duration;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;

/** The registry's bookkeeping, on the in-memory driver: expiry of unused locks and bad input. */
class RobitLockRegistryTest {
    private final RobitLockRegistry registry = new RobitLockRegistry(LocalDriver.create(), Duration.ofSeconds(10));

    @Test
    void expiresOnlyLocksThatNoThreadHolds() {
        Lock idle = registry.obtain("idle");
        Lock busy = registry.obtain("busy");
        assertThat(busy.tryLock()).isTrue();
        registry.expireUnusedOlderThan(0);
        assertThat(registry.obtain("idle")).as("forgotten, so a new lock").isNotSameAs(idle);
        assertThat(registry.obtain("busy")).as("held, so kept").isSameAs(busy);
        busy.unlock();
        registry.expireUnusedOlderThan(60_000);
        assertThat(registry.obtain("busy")).as("used within the age, so kept").isSameAs(busy);
    }

    @Test
    void badInputFailsBeforeAnyLocking() {
        assertThatThrownBy(() -> new RobitLockRegistry(LocalDriver.create(), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        // Ttls a Mutex refuses are refused here, not at every lock call.
        assertThatThrownBy(() -> new RobitLockRegistry(LocalDriver.create(), Duration.ofNanos(500))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ttl").hasMessageContaining("PT0.0000005S");
        assertThatThrownBy(() -> new RobitLockRegistry(LocalDriver.create(), Duration.ofDays(365L * 300))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ttl");
        assertThatThrownBy(() -> new RobitLockRegistry(null, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class).hasMessageContaining("driver");
        assertThatThrownBy(() -> registry.obtain(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("lockKey");
        assertThatThrownBy(() -> registry.obtain("k").newCondition()).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("k");
    }
}
