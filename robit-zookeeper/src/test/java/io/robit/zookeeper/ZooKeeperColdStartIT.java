package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.tck.SlowStartProxy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A driver opened from a URI connects (and opens its session) when opened, so its first acquire does
 * not pay for connecting inside one attempt's time limit (issue 18, item 6). The unreachable case is
 * {@code ZooKeeperDriverIT.uriOpensThroughDriversAndUnreachableEnsemblesFailAsDriverException}.
 */
class ZooKeeperColdStartIT {
    private static final Duration TTL = Duration.ofSeconds(3); // one attempt may take ttl/3 = 1 s

    @Test
    void firstTryLockSucceedsWhenConnectingTakesLongerThanOneAttempt() throws Exception {
        int port = ZooKeeperTestSupport.shared().getPort();
        // 2 s of silence on every new connection: more than the attempt's 1 s, less than the 15 s connection timeout.
        try (SlowStartProxy proxy = SlowStartProxy.to(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(2));
                ZooKeeperDriver driver = ZooKeeperDriver.open("zookeeper://127.0.0.1:" + proxy.address().getPort() + "/robit-cold")) {
            Mutex<String> mutex = Mutex.of("cold-start-" + UUID.randomUUID(), TTL, driver);
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(10));
            assertThat(held).as("the cold driver's first tryLock").isPresent();
            held.get().close();
            assertThat(proxy.accepted()).as("connections through the slow proxy").isPositive();
        }
    }
}
