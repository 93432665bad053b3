package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DriversTest {
    @Test
    void localSchemeGivesTheSharedInMemoryDriver() throws Exception {
        Driver<String> a = Drivers.open("local:");
        Driver<String> b = Drivers.open("LOCAL:");
        assertThat(a).isSameAs(b).isSameAs(LocalDriver.shared(""));
        assertThat(Drivers.open("local:other")).isNotSameAs(a);
        Mutex<String> m = Mutex.of("drivers-test", Duration.ofSeconds(5), a);
        assertThat(m.tryLock()).isPresent();
        assertThat(Mutex.of("drivers-test", Duration.ofSeconds(5), b).tryLock()).isEmpty();
        m.unlock();
    }

    @Test
    void unknownSchemeNamesTheKnownOnes() {
        assertThatThrownBy(() -> Drivers.open("consul://localhost:8500"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'consul'").hasMessageContaining("local");
    }

    @Test
    void missingSchemeIsRejected() {
        assertThatThrownBy(() -> Drivers.open("localhost:6379/0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Drivers.open("/var/lib/locks.db")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no scheme");
        assertThatThrownBy(() -> Drivers.open(null)).isInstanceOf(NullPointerException.class);
    }
}
