package io.robit.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {

    @Test
    void redactsThePasswordOfTheUserInfo() {
        assertThat(Secrets.redact("redis://alice:s3cr3t@127.0.0.1:6379/0")).isEqualTo("redis://alice:****@127.0.0.1:6379/0");
        assertThat(Secrets.redact("backend URI 'postgresql://u:p%40ss@db/x' needs a host"))
                .isEqualTo("backend URI 'postgresql://u:****@db/x' needs a host");
        // An unencoded '@' or '/' in the password: the last '@' ends the user info.
        assertThat(Secrets.redact("etcd://root:a@b/c@10.0.0.1:2379")).isEqualTo("etcd://root:****@10.0.0.1:2379");
        assertThat(Secrets.redact("two: redis://a:one@h and etcd://b:two@h")).isEqualTo("two: redis://a:****@h and etcd://b:****@h");
    }

    @Test
    void leavesUrisWithoutSecretsAlone() {
        for (String plain : new String[] {"redis://127.0.0.1:6379", "redis://alice@h", "postgresql://h:5432/db?sslmode=verify-full",
            "zookeeper://h:2181/chroot?passwordFile=/run/secrets/zk&passwordEnv=ZK_PW", "sqlite:/tmp/x.db", "no uri here"}) {
            assertThat(Secrets.redact(plain)).isEqualTo(plain);
        }
        assertThat(Secrets.redact(null)).isNull();
    }

    @Test
    void redactsSecretQueryParameters() {
        assertThat(Secrets.redact("mysql://h/db?user=u&password=pw&keyStorePassword=kp&sslmode=require"))
                .isEqualTo("mysql://h/db?user=u&password=****&keyStorePassword=****&sslmode=require");
        assertThat(Secrets.redact("x://h?token=abc;apiSecret=def")).isEqualTo("x://h?token=****;apiSecret=****");
    }

    @Test
    void readsAPasswordFromAFileLessOneLineBreak(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("pw");
        Files.writeString(file, "p@ss word\n");
        assertThat(Secrets.password(null, file.toString(), null, name -> null)).contains("p@ss word");
        Files.writeString(file, "crlf\r\n");
        assertThat(Secrets.password(null, file.toString(), null, name -> null)).contains("crlf");
    }

    @Test
    void readsAPasswordFromTheEnvironment() {
        Map<String, String> env = Map.of("ROBIT_PW", "from-env");
        assertThat(Secrets.password(null, null, "ROBIT_PW", env::get)).contains("from-env");
        assertThat(Secrets.password("literal", null, null, env::get)).contains("literal");
        assertThat(Secrets.password(null, null, null, env::get)).isEmpty();
    }

    @Test
    void failuresNameTheSourceNotTheSecret(@TempDir Path dir) {
        assertThatThrownBy(() -> Secrets.password(null, null, "NOPE_UNSET", name -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'NOPE_UNSET'").hasMessageContaining("not set");
        String missing = dir.resolve("missing").toString();
        assertThatThrownBy(() -> Secrets.password(null, missing, null, name -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing).hasMessageContaining("NoSuchFile");
        assertThatThrownBy(() -> Secrets.password("hunter2", null, "X", name -> "y"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one way only").hasMessageNotContaining("hunter2");
    }
}
