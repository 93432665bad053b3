package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The examples of docs/zookeeper.md, run against the in-process ZooKeeper. */
class ReadmeExampleIT {
    private static final Logger log = LoggerFactory.getLogger(ReadmeExampleIT.class);
    private final String connectString = ZooKeeperTestSupport.shared().getConnectString();
    private final AtomicLong lastToken = new AtomicLong();

    @Test
    void quickstartOverYourOwnCuratorClient() throws Exception {
        // snippet:zookeeper-quickstart
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(10_000)                    // a crashed holder's locks are freed after this, not the ttl
                .retryPolicy(new ExponentialBackoffRetry(100, 3))
                .build();
        client.start();
        try (ZooKeeperDriver driver = ZooKeeperDriver.create(client)) {  // the driver never closes your client
            Mutex<String> mutex = Mutex.builder("order-lock", Duration.ofSeconds(10), driver)
                    .onLost(() -> log.warn("order-lock lost: stop writing"))
                    .build();
            try (Held held = mutex.lock()) {
                // czxid of our lock node: pass it to the resource so it can refuse stale writers
                writeOrders(held.fencingToken());
            }
        } finally {
            client.close();
        }
        // end::zookeeper-quickstart
        assertThat(lastToken.get()).isPositive();
    }

    @Test
    void fromAUri() throws Exception {
        // snippet:zookeeper-uri
        try (Driver<String> driver = Drivers.open("zookeeper://" + connectString + "/myapp?sessionTimeout=10s")) {
            Mutex<String> mutex = Mutex.of("nightly-report", Duration.ofSeconds(10), driver);
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(5)); // waits in FIFO order
            held.ifPresent(h -> {
                try (h) {
                    writeOrders(h.fencingToken());
                }
            });
        }
        // end::zookeeper-uri
        assertThat(lastToken.get()).isPositive();
    }

    private void writeOrders(long fencingToken) {
        assertThat(fencingToken).isGreaterThan(lastToken.get());
        lastToken.set(fencingToken);
    }
}
