package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.Drivers;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Everything that needs no server: URIs, names, options, ttl rounding, the provider. */
class EtcdDriverTest {

    @Test
    void parsesUrisWithSeveralEndpointsDefaultPortCredentialsAndOptions() {
        EtcdUri uri = EtcdUri.parse("etcd://alice:s%40cret@10.0.0.1:2379,etcd-2,[::1]:32379/?prefix=app/locks/&timeout=750ms");
        assertThat(uri.hostPorts()).containsExactly("10.0.0.1:2379", "etcd-2:2379", "[::1]:32379");
        assertThat(uri.httpEndpoints()).containsExactly("http://10.0.0.1:2379", "http://etcd-2:2379", "http://[::1]:32379");
        assertThat(uri.user()).contains("alice");
        assertThat(uri.password()).contains("s@cret");
        assertThat(uri.prefix()).contains("app/locks/");
        assertThat(uri.timeout()).contains(Duration.ofMillis(750));
        assertThat(EtcdUri.parse("etcd://h:1?timeout=PT2S").timeout()).contains(Duration.ofSeconds(2));
        assertThat(EtcdUri.parse("etcd://h:1?headroom=1s").headroom()).contains(Duration.ofSeconds(1));
        assertThat(EtcdUri.parse("ETCD://h").hostPorts()).containsExactly("h:2379");
    }

    @Test
    void rejectsMalformedUrisSayingWhatIsExpected() {
        for (String bad : List.of("http://h:2379", "etcd://", "etcd://h:0", "etcd://h:99999", "etcd://h:2379/path",
                "etcd://h:2379?color=blue", "etcd://h:2379?timeout=soon", "etcd://h?headroom=x", "etcd://a,,b", "etcd://user@h")) {
            assertThatThrownBy(() -> EtcdUri.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("etcd uri");
        }
        assertThatThrownBy(() -> EtcdUri.parse(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void validatesLockNamesBeforeAnyIo() {
        // Port 9 (discard): nothing is contacted, since every check runs first.
        try (EtcdDriver driver = EtcdDriver.builder("etcd://127.0.0.1:9").build()) {
            assertThatThrownBy(() -> driver.validate(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("lock id");
            assertThatThrownBy(() -> driver.validate("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> driver.validate("x".repeat(1025))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 1024 UTF-8 bytes");
            assertThatThrownBy(() -> driver.validate("\u20ac".repeat(342))).as("1026 bytes in 342 chars")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1026");
            assertThatThrownBy(() -> driver.validate("a\uDC00b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
            driver.validate("x".repeat(1024));
            driver.validate("orders/\u00e9t\u00e9 \uD83D\uDD12");
            assertThatThrownBy(() -> driver.acquire("ok", Duration.ZERO, Duration.ofSeconds(1))).hasMessageContaining("ttl must be positive");
            assertThatThrownBy(() -> driver.acquire("ok", Duration.ofSeconds(1), Duration.ofSeconds(-1))).hasMessageContaining("timeout must be positive");
            assertThatThrownBy(() -> driver.awaitRelease("", Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void builderValidatesOptionsAsTheyAreSet() {
        EtcdDriver.Builder builder = EtcdDriver.builder("etcd://127.0.0.1:9");
        assertThatThrownBy(() -> builder.keyPrefix(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> builder.keyPrefix("p".repeat(513))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> builder.requestTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestTimeout must be positive, got PT0S");
        assertThatThrownBy(() -> builder.endpointDescription(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.minTrustedFraction(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minTrustedFraction must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> builder.minTrustedFraction(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.minTrustedFraction(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.leaseHeadroom(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leaseHeadroom must not be negative, got PT-1S");
        assertThatThrownBy(() -> EtcdDriver.create(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("client");
        try (EtcdDriver driver = builder.keyPrefix("team/locks/").build()) {
            assertThat(driver.keyPrefix()).isEqualTo("team/locks/");
            assertThat(driver.backend()).isEqualTo("etcd 127.0.0.1:9");
        }
        try (EtcdDriver driver = EtcdDriver.builder("etcd://h1:1,h2:2?prefix=x/").build()) {
            assertThat(driver.keyPrefix()).isEqualTo("x/");
            assertThat(driver.backend()).isEqualTo("etcd h1:1,h2:2");
        }
    }

    @Test
    void ttlsAreRoundedUpToWholeSeconds() {
        assertThat(SharedLeases.ttlSeconds(Duration.ofMillis(1))).isEqualTo(1);
        assertThat(SharedLeases.ttlSeconds(Duration.ofMillis(1500))).isEqualTo(2);
        assertThat(SharedLeases.ttlSeconds(Duration.ofSeconds(2))).isEqualTo(2);
        assertThat(SharedLeases.ttlSeconds(Duration.ofSeconds(30).plusNanos(1))).isEqualTo(31);
    }

    @Test
    void sessionLeaseKnowsHowLongItSurelyLasts() {
        SharedLease lease = new SharedLease(null, 1, 2, 1_000);
        assertThat(lease.lastsUntil(1_000 + 2_000_000_000L)).isTrue();
        assertThat(lease.lastsUntil(1_000 + 2_000_000_001L)).isFalse();
        lease.keptAlive(500_000_000L);
        assertThat(lease.lastsUntil(2_500_000_000L)).isTrue();
        lease.keptAlive(10);
        assertThat(lease.lastsUntil(2_500_000_000L)).as("an older keep-alive never shortens it").isTrue();
        lease.markDead();
        assertThat(lease.lastsUntil(0)).isFalse();
        assertThat(lease.usable()).isFalse();
    }

    @Test
    void drivesOpensEtcdUrisThroughTheProvider() {
        try (Driver<String> driver = Drivers.open("etcd://127.0.0.1:9?prefix=p/")) {
            assertThat(driver).isInstanceOf(EtcdDriver.class);
            assertThat(((EtcdDriver) driver).keyPrefix()).isEqualTo("p/");
        }
        assertThatThrownBy(() -> Drivers.open("etcd://127.0.0.1:9/nope")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Optional.of(EtcdDriver.DEFAULT_KEY_PREFIX)).contains("robit/lock/");
    }
}
