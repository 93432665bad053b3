package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.tck.SlowStartProxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A cold driver's first acquire does not pay for connecting inside one attempt's time limit (issue 18, item 6). */
class RedisColdStartIT {
    private static final Duration TTL = Duration.ofSeconds(3); // one attempt may take ttl/3 = 1 s

    @Test
    void firstTryLockSucceedsWhenConnectingTakesLongerThanOneAttempt() throws Exception {
        // 2 s of silence on every new connection: more than the attempt's 1 s, less than the 5 s connect timeout.
        try (SlowStartProxy proxy = SlowStartProxy.to(new InetSocketAddress(TestRedis.HOST, TestRedis.PORT), Duration.ofSeconds(2));
                RedisDriver driver = RedisDriver.open("redis://127.0.0.1:" + proxy.address().getPort() + "?keyPrefix=" + TestRedis.PREFIX)) {
            Mutex<String> mutex = Mutex.of("cold-start-" + UUID.randomUUID(), TTL, driver);
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(10));
            assertThat(held).as("the cold driver's first tryLock").isPresent();
            held.get().close();
            assertThat(proxy.accepted()).as("connections through the slow proxy").isPositive();
        }
    }

    @Test
    void unreachableRedisFailsTheFirstLockPromptlyNamingTheAddressNotThePassword() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (RedisDriver driver = RedisDriver.open("redis://:cold-s3cret@127.0.0.1:" + port)) {
            Mutex<String> mutex = Mutex.of("cold-unreachable-" + UUID.randomUUID(), TTL, driver);
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(mutex::tryLock)
                    .isInstanceOf(DriverException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("acquire")
                    .hasMessageNotContaining("cold-s3cret"));
        }
    }
}
