package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.robit.Drivers;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Input checks and URI parsing: everything that must fail or succeed before any I/O. No server needed. */
class RedisDriverTest {
    // Nothing listens on port 1; any attempt to connect would fail with a DriverException, not the exceptions asserted here.
    private static final String NOWHERE = "redis://127.0.0.1:1";

    @Test
    void badIdsAreRejectedBeforeIo() {
        try (RedisDriver driver = RedisDriver.open(NOWHERE)) {
            assertThatThrownBy(() -> driver.acquire(null, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("lock id");
            assertThatThrownBy(() -> driver.acquire("", Duration.ofSeconds(1), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be empty");
            assertThatThrownBy(() -> driver.acquire("x".repeat(1025), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 1024 bytes").hasMessageContaining("got 1025");
            // 342 three-byte characters: 342 chars, but 1026 bytes.
            assertThatThrownBy(() -> driver.validate("\u20ac".repeat(342)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 1026");
            assertThatThrownBy(() -> driver.validate("a\uDC00b"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate at index 1");
            assertThatThrownBy(() -> driver.awaitRelease("", Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Mutex.of("", Duration.ofSeconds(1), driver))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void longestIdsAndAnyCharactersAreAccepted() {
        try (RedisDriver driver = RedisDriver.open(NOWHERE)) {
            driver.validate("x".repeat(1024));
            driver.validate("\uD83D\uDD12".repeat(256)); // 256 four-byte characters: exactly 1024 bytes
            driver.validate("{braces}:and spaces\n\u0000");
            assertThat(driver.lockKey("orders")).isEqualTo("robit:{orders}");
            assertThat(driver.counterKey("orders")).isEqualTo("robit:{orders}:token");
        }
    }

    @Test
    void badTtlsAndTimeoutsAreRejectedBeforeIo() {
        try (RedisDriver driver = RedisDriver.open(NOWHERE)) {
            assertThatThrownBy(() -> driver.acquire("a", Duration.ofNanos(999_999), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be at least 1 ms");
            assertThatThrownBy(() -> driver.acquire("a", Duration.ofSeconds(-1), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
            assertThatThrownBy(() -> driver.acquire("a", null, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> driver.acquire("a", Duration.ofSeconds(1), Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive, got PT0S");
        }
    }

    @Test
    void builderOptionsAreChecked() {
        RedisClient client = RedisClient.create(NOWHERE);
        try {
            assertThatThrownBy(() -> RedisDriver.builder(client).keyPrefix("a{b"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keyPrefix").hasMessageContaining("a{b");
            assertThatThrownBy(() -> RedisDriver.builder(client).keyPrefix(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> RedisDriver.builder(client).commandTimeout(Duration.ofMillis(-5)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("commandTimeout");
            assertThatThrownBy(() -> RedisDriver.builder(client).waitForReplicas(-1, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("replicas must not be negative, got -1");
            assertThatThrownBy(() -> RedisDriver.builder(client).waitForReplicas(1, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WAIT timeout");
            assertThatThrownBy(() -> RedisDriver.builder(client).refreshBatchWindow(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refreshBatchWindow").hasMessageContaining("PT-0.001S");
            try (RedisDriver driver = RedisDriver.builder(client).keyPrefix("").build()) {
                assertThat(driver.lockKey("x")).isEqualTo("{x}");
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void closedDriverRefusesWork() {
        RedisDriver driver = RedisDriver.open(NOWHERE);
        driver.close();
        driver.close(); // idempotent
        assertThatThrownBy(() -> driver.acquire("a", Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void urisAreParsed() {
        RedisUri plain = RedisUri.parse("redis://user:pw@db.example:6380/2?timeout=3s&keyPrefix=app%3Alocks%3A");
        assertThat(plain.cluster()).isFalse();
        assertThat(plain.keyPrefix()).isEqualTo("app:locks:");
        assertThat(plain.uris()).singleElement().satisfies(uri -> {
            assertThat(uri.getHost()).isEqualTo("db.example");
            assertThat(uri.getPort()).isEqualTo(6380);
            assertThat(uri.getDatabase()).isEqualTo(2);
            assertThat(uri.getTimeout()).isEqualTo(Duration.ofSeconds(3));
        });

        RedisUri cluster = RedisUri.parse("redis://:pw@a:7000,b:7001?cluster=true");
        assertThat(cluster.cluster()).isTrue();
        assertThat(cluster.uris()).extracting(uri -> uri.getHost() + ":" + uri.getPort()).containsExactly("a:7000", "b:7001");

        RedisUri sentinel = RedisUri.parse("redis-sentinel://s1:26379,s2:26380/0#mymaster");
        assertThat(sentinel.uris().get(0).getSentinelMasterId()).isEqualTo("mymaster");
        assertThat(sentinel.uris().get(0).getSentinels()).hasSize(2);
        assertThat(Connections.describe(sentinel.uris().get(0))).isEqualTo("redis sentinel 'mymaster' via s1:26379,s2:26380");

        assertThatThrownBy(() -> RedisUri.parse("localhost:6379")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis://host:port");
        assertThatThrownBy(() -> RedisUri.parse("redis://h:1?cluster=maybe")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cluster 'maybe'; expected true or false");
        assertThatThrownBy(() -> RedisUri.parse("redis-sentinel://h:1#m?cluster=true&x=1".replace("#m", "") + "#m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster=true needs");
    }

    @Test
    void driversOpenKnowsTheRedisSchemes() {
        for (String uri : new String[] {NOWHERE, "rediss://127.0.0.1:1", "redis-sentinel://127.0.0.1:1#m"}) {
            try (Driver<String> driver = Drivers.open(uri)) {
                assertThat(driver).isInstanceOf(RedisDriver.class);
            }
        }
        try (Driver<String> driver = Drivers.open(NOWHERE + "?keyPrefix=p:")) {
            assertThat(((RedisDriver) driver).lockKey("x")).isEqualTo("p:{x}");
        }
    }
}
