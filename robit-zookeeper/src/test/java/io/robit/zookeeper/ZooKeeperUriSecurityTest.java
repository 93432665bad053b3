package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZooKeeperUriSecurityTest {

    @Test
    void aUserMeansDigestAuthAndCreatorOnlyNodes() {
        ZooKeeperUri uri = ZooKeeperUri.parse("zookeeper://app:s%40cret-zk1@zk1:2181,zk2:2181/apps");
        assertThat(uri.credentials().orElseThrow().authorization()).isEqualTo("app:s@cret-zk1");
        assertThat(uri.acl()).isEqualTo(ZooKeeperUri.Acl.CREATOR);
        assertThat(uri.connectString()).isEqualTo("zk1:2181,zk2:2181");
        assertThat(uri.namespace()).contains("apps");
        assertThat(uri.toString()).doesNotContain("s@cret-zk1").contains("app:****");
        assertThat(ZooKeeperUri.parse("zookeeper://zk1").acl()).isEqualTo(ZooKeeperUri.Acl.OPEN);
        assertThat(ZooKeeperUri.parse("zookeeper://app:pw-1@zk1?acl=open").acl()).isEqualTo(ZooKeeperUri.Acl.OPEN);
    }

    @Test
    void thePasswordMayComeFromTheEnvironment() {
        ZooKeeperUri uri = ZooKeeperUri.parse("zookeeper://app@zk1?passwordEnv=ZK_PW", Map.of("ZK_PW", "env-zk-pw")::get);
        assertThat(uri.credentials().orElseThrow().password()).isEqualTo("env-zk-pw");
    }

    @Test
    void tlsNeedsACaAndTakesACertificateWithItsKey(@TempDir Path dir) throws IOException {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        assertThat(ZooKeeperUri.parse("zookeeper://zk1?cacert=" + ca).tls().orElseThrow().caCert()).contains(ca);
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://zk1?tls=true"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs cacert");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://zk1?cacert=" + ca + "&cert=" + ca))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cert and key go together");
    }

    @Test
    void badSecurityOptionsFailBeforeAnyIoWithoutShowingThePassword() {
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://zk1?acl=creator"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acl=creator needs an identity");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://app@zk1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a password");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://app:never-shown-1@zk1?acl=everyone"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acl 'everyone'").hasMessageNotContaining("never-shown-1");
        assertThatThrownBy(() -> ZooKeeperUri.parse("zookeeper://app:never-shown-1@zk1?what=1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'what'").hasMessageNotContaining("never-shown-1");
    }
}
