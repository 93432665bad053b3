package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdUriSecurityTest {

    @Test
    void etcdsAndTlsTrueSelectTlsWithTheGivenFiles(@TempDir Path dir) throws IOException {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        EtcdUri secure = EtcdUri.parse("etcds://h1:2379,h2?cacert=" + ca);
        assertThat(secure.httpEndpoints()).containsExactly("https://h1:2379", "https://h2:2379");
        assertThat(secure.tls().orElseThrow().caCert()).contains(ca);
        assertThat(EtcdUri.parse("etcd://h?tls=true").tls()).isPresent();
        assertThat(EtcdUri.parse("etcd://h").tls()).isEmpty();
        assertThat(EtcdUri.parse("etcd://h").httpEndpoints()).containsExactly("http://h:2379");
    }

    @Test
    void thePasswordComesFromTheEnvironmentAndNeverShows() {
        EtcdUri uri = EtcdUri.parse("etcd://app@h?passwordEnv=ETCD_PW", Map.of("ETCD_PW", "env-secret-1")::get);
        assertThat(uri.user()).contains("app");
        assertThat(uri.password()).contains("env-secret-1");
        assertThat(uri.toString()).doesNotContain("env-secret-1").contains("****");
    }

    @Test
    void badSecurityOptionsFailBeforeAnyIoWithoutShowingThePassword() {
        assertThatThrownBy(() -> EtcdUri.parse("etcds://u:pw-shown-never@h?cert=/c.pem"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cert and key together").hasMessageNotContaining("pw-shown-never");
        assertThatThrownBy(() -> EtcdUri.parse("etcds://h?cacert=/no/such/ca.pem"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/no/such/ca.pem' does not exist");
        assertThatThrownBy(() -> EtcdUri.parse("etcd://app@h"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no password");
        assertThatThrownBy(() -> EtcdUri.parse("etcd://app@h?passwordEnv=UNSET_VAR", name -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'UNSET_VAR', which is not set");
        assertThatThrownBy(() -> EtcdUri.parse("etcds://u:pw-shown-never@h?tls=false"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("pw-shown-never");
        assertThatThrownBy(() -> EtcdUri.parse("etcd://u:pw-shown-never@h?bogus=1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bogus").hasMessageNotContaining("pw-shown-never");
    }
}
