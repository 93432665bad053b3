package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The etcd URI on the support kit's {@code UriParameters}: what it accepts and how it refuses, before any I/O. */
class EtcdUriTest {

    @Test
    void readsEndpointsCredentialsAndOptions() {
        EtcdUri uri = EtcdUri.parse("etcd://robit:s3cret@a:2380,[::1],b?prefix=locks/&timeout=750ms&headroom=0s", name -> null);
        assertThat(uri.hostPorts()).containsExactly("a:2380", "[::1]:2379", "b:2379");
        assertThat(uri.user()).contains("robit");
        assertThat(uri.password()).contains("s3cret");
        assertThat(uri.prefix()).contains("locks/");
        assertThat(uri.timeout()).contains(Duration.ofMillis(750));
        assertThat(uri.headroom()).as("zero headroom is allowed").contains(Duration.ZERO);
        assertThat(uri.tls()).isEmpty();
        assertThat(uri.toString()).doesNotContain("s3cret");
    }

    @Test
    void readsThePasswordFromTheEnvironment() {
        EtcdUri uri = EtcdUri.parse("etcd://robit@h?passwordEnv=ETCD_PW", Map.of("ETCD_PW", "from-env")::get);
        assertThat(uri.password()).contains("from-env");
    }

    @Test
    void refusesWhatItCannotUseNamingTheParameter() {
        for (List<String> bad : List.of(
                List.of("etcd://h?bogus=1", "unknown parameter 'bogus'"),
                List.of("etcd://h?timeout=1s&timeout=2s", "timeout"),
                List.of("etcd://h?timeout=soon", "timeout 'soon'"),
                List.of("etcd://h?timeout=0s", "timeout must be positive"),
                List.of("etcd://h?headroom=-PT1S", "headroom"),
                List.of("etcd://h?tls=maybe", "tls 'maybe'"),
                List.of("etcd://h:70000", "out of range"),
                List.of("etcd://h?cacert=", "cacert"),
                List.of("etcd://robit:pw@h?passwordEnv=X", "password"))) {
            assertThatThrownBy(() -> EtcdUri.parse(bad.get(0), name -> "x"))
                    .as(bad.get(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("etcd uri '").hasMessageContaining(bad.get(1));
        }
    }

    @Test
    void neverShowsThePasswordInARefusal() {
        assertThatThrownBy(() -> EtcdUri.parse("etcd://robit:hunter2@h?bogus=1", name -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("hunter2");
    }
}
