package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ZooKeeperUriTest {

    @Test
    void hostsChrootAndTimeouts() {
        ZooKeeperUri uri = ZooKeeperUri.parse("zookeeper://zk1:2181,zk2:2182,[::1]:2183/apps/orders/?sessionTimeout=20s&connectionTimeout=1500ms");
        assertThat(uri.connectString()).isEqualTo("zk1:2181,zk2:2182,[::1]:2183");
        assertThat(uri.namespace()).contains("apps/orders");
        assertThat(uri.sessionTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(uri.connectionTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(uri.tickTime()).isEmpty();
        assertThat(ZooKeeperUri.parse("zookeeper://zk1:2181?tickTime=2s").tickTime()).contains(Duration.ofSeconds(2));
    }

    @Test
    void defaults() {
        ZooKeeperUri uri = ZooKeeperUri.parse("ZooKeeper://localhost");
        assertThat(uri.connectString()).isEqualTo("localhost");
        assertThat(uri.namespace()).isEqualTo(Optional.empty());
        assertThat(uri.sessionTimeout()).isEqualTo(ZooKeeperUri.DEFAULT_SESSION_TIMEOUT);
        assertThat(uri.connectionTimeout()).isEqualTo(ZooKeeperUri.DEFAULT_CONNECTION_TIMEOUT);
        assertThat(ZooKeeperUri.parse("zookeeper://h:1?sessionTimeout=2m").sessionTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(ZooKeeperUri.parse("zookeeper://h:1?sessionTimeout=2500").sessionTimeout()).isEqualTo(Duration.ofMillis(2500));
    }

    @Test
    void malformedUrisSayWhatIsExpected() {
        assertThatThrownBy(() -> ZooKeeperUri.parse("redis://h:1")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zookeeper://");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper:///chroot")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no host");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://h:1,,h:2")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("''");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://h:port")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("h:port");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://h//x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty segment");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://h?sessionTimeout=soon")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessionTimeout 'soon'");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://h?sessionTimeout=0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://h?ttl=3s")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown parameter 'ttl'");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://h?sessionTimeout=1s&sessionTimeout=2s")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessionTimeout");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://u:hunter2@h?bogus")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown parameter 'bogus'").message().doesNotContain("hunter2");
        assertThatThrownBy(() -> ZooKeeperUri.parse(null)).isInstanceOf(NullPointerException.class);
    }
}
