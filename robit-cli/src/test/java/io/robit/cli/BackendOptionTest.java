package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How {@code robit run} and {@code robit lead} derive a ZooKeeper session timeout from {@code --ttl}. */
class BackendOptionTest {
    @Test
    void aZooKeeperUriWithoutASessionTimeoutAsksForTheTtl() {
        assertThat(BackendOption.withSessionTimeout("zookeeper://zk1:2181", Duration.ofSeconds(3)))
                .isEqualTo("zookeeper://zk1:2181?sessionTimeout=3000ms");
        assertThat(BackendOption.withSessionTimeout("ZooKeeper://zk1:2181,zk2:2181/app?connectionTimeout=5s", Duration.ofMillis(1500)))
                .isEqualTo("ZooKeeper://zk1:2181,zk2:2181/app?connectionTimeout=5s&sessionTimeout=1500ms");
        assertThat(BackendOption.withSessionTimeout("zookeeper://zk1:2181", Duration.ofDays(400)))
                .as("within what a ZooKeeper URI can say; the server caps it at 20 ticks anyway").isEqualTo("zookeeper://zk1:2181?sessionTimeout=999999999ms");
    }

    @Test
    void aSessionTimeoutInTheUriAndOtherBackendsAreLeftAlone() {
        assertThat(BackendOption.withSessionTimeout("zookeeper://zk1:2181?sessionTimeout=10s", Duration.ofSeconds(3)))
                .isEqualTo("zookeeper://zk1:2181?sessionTimeout=10s");
        assertThat(BackendOption.withSessionTimeout("zookeeper://zk1:2181?acl=creator&sessionTimeout=10s", Duration.ofSeconds(3)))
                .isEqualTo("zookeeper://zk1:2181?acl=creator&sessionTimeout=10s");
        assertThat(BackendOption.withSessionTimeout("redis://127.0.0.1:6379", Duration.ofSeconds(3))).isEqualTo("redis://127.0.0.1:6379");
        assertThat(BackendOption.withSessionTimeout("sqlite:/tmp/zookeeper://x", Duration.ofSeconds(3))).isEqualTo("sqlite:/tmp/zookeeper://x");
    }

    @Test
    void aZooKeeperConnectionIsBoundedByTheWaitWithinTwoAndFifteenSeconds() {
        assertThat(BackendOption.withConnectionTimeout("zookeeper://zk1:2181?sessionTimeout=3000ms", Duration.ZERO))
                .as("--wait 0: one attempt at connecting").isEqualTo("zookeeper://zk1:2181?sessionTimeout=3000ms&connectionTimeout=2000ms");
        assertThat(BackendOption.withConnectionTimeout("zookeeper://zk1:2181", Duration.ofSeconds(5)))
                .isEqualTo("zookeeper://zk1:2181?connectionTimeout=5000ms");
        assertThat(BackendOption.withConnectionTimeout("zookeeper://zk1:2181", Durations.FOREVER))
                .as("the driver's own 15 s").isEqualTo("zookeeper://zk1:2181");
        assertThat(BackendOption.withConnectionTimeout("zookeeper://zk1:2181?connectionTimeout=30s", Duration.ZERO))
                .isEqualTo("zookeeper://zk1:2181?connectionTimeout=30s");
        assertThat(BackendOption.withConnectionTimeout("redis://127.0.0.1:6379", Duration.ZERO)).isEqualTo("redis://127.0.0.1:6379");
    }
}
