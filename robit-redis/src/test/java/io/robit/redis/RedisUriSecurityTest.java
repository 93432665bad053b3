package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisUriSecurityTest {

    private static RedisCredentials credentials(RedisURI uri) {
        return uri.getCredentialsProvider().resolveCredentials().block();
    }

    @Test
    void withPasswordEnvTheUserInfoIsTheAclUser() {
        RedisUri location = RedisUri.parse("redis://alice@h:6379?passwordEnv=REDIS_PW", Map.of("REDIS_PW", "env-redis-pw")::get);
        RedisCredentials credentials = credentials(location.uris().get(0));
        assertThat(credentials.getUsername()).isEqualTo("alice");
        assertThat(new String(credentials.getPassword())).isEqualTo("env-redis-pw");
        assertThat(location.uris().get(0).toString()).doesNotContain("env-redis-pw");
    }

    @Test
    void everyClusterSeedGetsThePasswordFromAFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("pw"), "file-redis-pw\n");
        RedisUri location = RedisUri.parse("redis://h1:7000,h2:7001?cluster=true&passwordFile=" + file);
        assertThat(location.uris()).hasSize(2).allSatisfy(uri -> assertThat(new String(credentials(uri).getPassword())).isEqualTo("file-redis-pw"));
    }

    @Test
    void tlsFilesNeedARedissScheme(@TempDir Path dir) throws IOException {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        assertThat(RedisUri.parse("rediss://h?cacert=" + ca).tls().orElseThrow().caCert()).contains(ca);
        assertThat(RedisUri.parse("rediss://h").tls()).isEmpty();
        assertThatThrownBy(() -> RedisUri.parse("redis://u:never-shown-2@h?cacert=" + ca))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use rediss://").hasMessageNotContaining("never-shown-2");
        assertThatThrownBy(() -> RedisUri.parse("rediss://h?cert=" + ca))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cert and key together");
        assertThatThrownBy(() -> RedisUri.parse("rediss://h?cacert=/no/such.pem"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/no/such.pem' does not exist");
    }

    @Test
    void aPasswordGivenTwiceOrNowhereFailsWithoutShowingIt() {
        assertThatThrownBy(() -> RedisUri.parse("redis://u:never-shown-3@h?passwordEnv=X", name -> "y"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one way").hasMessageNotContaining("never-shown-3");
        assertThatThrownBy(() -> RedisUri.parse("redis://u@h?passwordEnv=UNSET_REDIS_PW", name -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'UNSET_REDIS_PW', which is not set");
        assertThatThrownBy(() -> RedisUri.parse("redis://u:never-shown-3@h?cluster=maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("never-shown-3");
    }
}
