package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.Drivers;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad arguments fail fast with a clear message, before any I/O (the data source counts connections). */
class BadInputTest {
    private final AtomicInteger connections = new AtomicInteger();
    private final JdbcDriver driver = JdbcDriver.builder(countingDataSource()).dialect(Dialect.POSTGRESQL).build();

    @Test
    void badNamesAreRejectedBeforeIo() {
        assertThatThrownBy(() -> driver.acquire(null, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("lock id");
        assertThatThrownBy(() -> driver.acquire("", Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> driver.acquire("x".repeat(256), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 255 characters, got 256");
        assertThatThrownBy(() -> driver.validate("a\0b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> driver.validate("a\uDC00b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> driver.validate("a\uD800")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> driver.awaitRelease("", Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> driver.inspect("x".repeat(300))).isInstanceOf(IllegalArgumentException.class);
        assertThat(connections).as("no connection was taken").hasValue(0);
    }

    @Test
    void namesUpTo255CodePointsOfAnyUnicodeAreAccepted() {
        driver.validate("x".repeat(255));
        driver.validate("\uD83D\uDD12".repeat(255)); // 255 code points, 510 chars
        driver.validate("orders/eu-west-1 with spaces ");
        assertThatThrownBy(() -> driver.validate("\uD83D\uDD12".repeat(256))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badTtlsAndTimeoutsAreRejectedBeforeIo() {
        assertThatThrownBy(() -> driver.acquire("a", Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be positive, got PT0S");
        assertThatThrownBy(() -> driver.acquire("a", Duration.ofSeconds(-1), Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> driver.acquire("a", null, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> driver.acquire("a", Duration.ofSeconds(1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive");
        assertThat(connections).hasValue(0);
    }

    @Test
    void contendChecksItsArgumentsBeforeIo() {
        assertThatThrownBy(() -> driver.contend("", Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> driver.contend(null, Duration.ofSeconds(1), Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> driver.contend("a", Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be positive");
        assertThatThrownBy(() -> driver.contend("a", Duration.ofSeconds(1), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive");
        assertThatThrownBy(() -> driver.contend("a", Duration.ofSeconds(1), null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> driver.awaitRelease("a", null)).isInstanceOf(NullPointerException.class);
        driver.contend("a", Duration.ofSeconds(1), Duration.ofSeconds(1)).close(); // opening one does no I/O
        assertThat(connections).hasValue(0);
    }

    @Test
    void openTakesOnlyJdbcUris() {
        assertThatThrownBy(() -> JdbcDriver.open(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("uri");
        assertThatThrownBy(() -> JdbcDriver.open("redis://127.0.0.1:6379")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("postgresql://").hasMessageContaining("redis://127.0.0.1:6379");
        assertThatThrownBy(() -> JdbcDriver.open("postgresql://user:secret@127.0.0.1/db?novalue"))
                .isInstanceOf(IllegalArgumentException.class).message().doesNotContain("secret");
    }

    @Test
    void builderOptionsAreChecked() {
        JdbcDriver.Builder builder = JdbcDriver.builder(countingDataSource());
        assertThatThrownBy(() -> builder.pollInterval(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pollInterval must be between 1 ms and 10 s, got PT0S");
        assertThatThrownBy(() -> builder.pollInterval(Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.table("drop table")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'drop table'");
        assertThatThrownBy(() -> builder.dialect(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> JdbcDriver.builder(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("dataSource");
        assertThat(connections).hasValue(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite:", "sqlite:?table=x", "postgresql://", "postgresql://127.0.0.1", "postgresql://127.0.0.1/",
        "mysql://127.0.0.1:3306", "mariadb://[::1", "postgresql://127.0.0.1/db?novalue", "sqlite:/tmp/x.db?table=bad-name"})
    void malformedUrisAreRejectedBeforeConnecting(String uri) {
        assertThatThrownBy(() -> Drivers.open(uri)).isInstanceOf(IllegalArgumentException.class).message().isNotBlank();
    }

    @Test
    void closedDriverRefusesCalls() {
        driver.close();
        driver.close();
        assertThatThrownBy(() -> driver.acquire("a", Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    private DataSource countingDataSource() {
        return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "getConnection" -> {
                    connections.incrementAndGet();
                    throw new java.sql.SQLException("no I/O expected in this test");
                }
                case "getLogWriter" -> {
                    return (PrintWriter) null;
                }
                case "getParentLogger" -> {
                    return Logger.getGlobal();
                }
                case "toString" -> {
                    return "counting data source";
                }
                case "hashCode" -> {
                    return System.identityHashCode(proxy);
                }
                case "equals" -> {
                    return proxy == args[0];
                }
                default -> {
                    return null;
                }
            }
        });
    }

}
