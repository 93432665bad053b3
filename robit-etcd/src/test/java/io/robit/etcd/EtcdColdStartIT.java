package io.robit.etcd;

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
import org.junit.jupiter.api.Test;

/** A cold driver's first acquire does not pay for connecting inside one attempt's time limit (issue 18, item 6). */
class EtcdColdStartIT {
    private static final Duration TTL = Duration.ofSeconds(3); // one attempt may take ttl/3 = 1 s

    @Test
    void firstTryLockSucceedsWhenConnectingTakesLongerThanOneAttempt() throws Exception {
        String[] hostPort = EtcdTestSupport.server().endpoint().split(":");
        InetSocketAddress etcd = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        // 2 s of silence on every new connection: more than the attempt's 1 s, less than the 5 s request timeout.
        try (SlowStartProxy proxy = SlowStartProxy.to(etcd, Duration.ofSeconds(2));
                EtcdDriver driver = EtcdDriver.builder("etcd://127.0.0.1:" + proxy.address().getPort()).build()) {
            Mutex<String> mutex = Mutex.of(EtcdTestSupport.newLockId("cold-start"), TTL, driver);
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(10));
            assertThat(held).as("the cold driver's first tryLock").isPresent();
            held.get().close();
            assertThat(proxy.accepted()).as("connections through the slow proxy").isPositive();
        }
    }

    @Test
    void unreachableEtcdFailsTheFirstLockPromptlyNamingTheAddress() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (EtcdDriver driver = EtcdDriver.builder("etcd://127.0.0.1:" + port + "?timeout=2s").build()) {
            Mutex<String> mutex = Mutex.of(EtcdTestSupport.newLockId("cold-unreachable"), TTL, driver);
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(mutex::tryLock)
                    .isInstanceOf(DriverException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("acquire"));
        }
    }
}
