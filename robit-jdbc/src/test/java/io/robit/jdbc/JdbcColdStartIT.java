package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.robit.DriverException;
import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import io.robit.tck.SlowStartProxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A driver opened from a URI connects when opened, so its first acquire does not pay for connecting (issue 18, item 6). */
class JdbcColdStartIT {
    private static final Duration TTL = Duration.ofSeconds(3); // one attempt may take ttl/3 = 1 s

    @ParameterizedTest
    @EnumSource(value = TestDatabases.class, names = {"POSTGRESQL", "MARIADB"})
    void firstTryLockSucceedsWhenConnectingTakesLongerThanOneAttempt(TestDatabases db) throws Exception {
        // 2 s of silence on every new connection: more than the attempt's 1 s, less than the 10 s connect timeout.
        try (SlowStartProxy proxy = SlowStartProxy.to(db.serverAddress().orElseThrow(), Duration.ofSeconds(2));
                Driver<String> driver = db.newDriverVia(proxy.address())) {
            Mutex<String> mutex = Mutex.of(TestDatabases.freshLockId(), TTL, driver);
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(10));
            assertThat(held).as("the cold driver's first tryLock").isPresent();
            held.get().close();
            assertThat(proxy.accepted()).as("connections through the slow proxy").isPositive();
        }
    }

    @Test
    void openingAnUnreachableServerFailsPromptlyNamingTheAddressNotThePassword() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String uri = "postgresql://robit:cold-s3cret@127.0.0.1:" + port + "/test";
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(() -> Drivers.open(uri).close())
                .isInstanceOf(DriverException.class)
                .hasMessageContaining("127.0.0.1:" + port)
                .hasMessageContaining("connecting failed")
                .hasMessageNotContaining("cold-s3cret"));
    }
}
