package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.tck.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcSecurityTest {

    private static Map<String, String> params(String... pairs) {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            params.put(pairs[i], pairs[i + 1]);
        }
        return params;
    }

    @Test
    void aCaCertMeansFullVerificationUnlessTheUriChoseAMode(@TempDir Path dir) throws IOException {
        String ca = Files.writeString(dir.resolve("ca.pem"), "x").toString();
        Properties pg = new Properties();
        Map<String, String> pgParams = params("cacert", ca);
        JdbcSecurity.apply("jdbc:postgresql://h/db", pgParams, pg, "shown", name -> null);
        assertThat(pg).containsEntry("sslrootcert", ca).containsEntry("sslmode", "verify-full");
        assertThat(pgParams).isEmpty();

        Properties chosen = new Properties();
        JdbcSecurity.apply("jdbc:postgresql://h/db", params("cacert", ca, "sslmode", "verify-ca"), chosen, "shown", name -> null);
        assertThat(chosen).doesNotContainKey("sslmode");

        Properties maria = new Properties();
        JdbcSecurity.apply("jdbc:mariadb://h/db", params("cacert", ca), maria, "shown", name -> null);
        assertThat(maria).containsEntry("serverSslCert", ca).containsEntry("sslMode", "verify-full");
    }

    @Test
    void thePasswordComesFromTheEnvironment() {
        Properties properties = new Properties();
        JdbcSecurity.apply("jdbc:postgresql://h/db", params("passwordEnv", "PG_PW"), properties, "shown", Map.of("PG_PW", "env-pg-pw")::get);
        assertThat(properties).containsEntry("password", "env-pg-pw");
    }

    @Test
    void unusableOptionsFailBeforeAnyIo(@TempDir Path dir) throws IOException {
        String pem = Files.writeString(dir.resolve("c.pem"), "x").toString();
        assertThatThrownBy(() -> JdbcSecurity.apply("jdbc:mariadb://h/db", params("cert", pem, "key", pem), new Properties(), "shown", n -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + pem + "' is not a PEM certificate");
        assertThatThrownBy(() -> JdbcSecurity.apply("jdbc:mysql://h/db", params("cacert", pem), new Properties(), "shown", n -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("own TLS parameters");
        assertThatThrownBy(() -> JdbcSecurity.apply("jdbc:postgresql://h/db", params("cacert", "/no/ca.pem"), new Properties(), "shown", n -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/no/ca.pem' does not exist");
        Properties literal = new Properties();
        literal.setProperty("password", "never-shown-4");
        assertThatThrownBy(() -> JdbcSecurity.apply("jdbc:postgresql://h/db", params("passwordEnv", "X"), literal, "shown", n -> "y"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one way only").hasMessageNotContaining("never-shown-4");
    }

    @Test
    void aPemClientCertificateBecomesAPrivateKeyStoreEachDriverReads(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir, "robit-jdbc-unit");
        Properties pg = new Properties();
        JdbcSecurity.apply("jdbc:postgresql://h/db", params("cert", pki.clientCert().toString(), "key", pki.clientKey().toString()),
                pg, "shown", n -> null);
        assertThat(pg.getProperty("sslkey")).endsWith(".p12");
        assertThat(pg).containsEntry("sslmode", "verify-full");
        Path store = Path.of(pg.getProperty("sslkey"));
        assertThat(Files.getPosixFilePermissions(store)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            keyStore.load(in, pg.getProperty("sslpassword").toCharArray());
        }
        assertThat(keyStore.getKey(ClientKeyStore.ALIAS, pg.getProperty("sslpassword").toCharArray())).isNotNull();

        Properties maria = new Properties();
        JdbcSecurity.apply("jdbc:mariadb://h/db", params("cert", pki.clientCert().toString(), "key", pki.clientKey().toString()),
                maria, "shown", n -> null);
        assertThat(maria).containsEntry("keyStoreType", "PKCS12").containsEntry("sslMode", "verify-full").containsKey("keyStorePassword");
    }

    @Test
    void aKeyThatIsNotPkcs8PemIsRefusedWithTheWayToConvertIt(@TempDir Path dir) throws IOException {
        TestPki pki = TestPki.create(dir.resolve("pki"), "robit-jdbc-unit");
        Path rsa = Files.writeString(dir.resolve("old.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> JdbcSecurity.apply("jdbc:postgresql://h/db", params("cert", pki.clientCert().toString(), "key", rsa.toString()),
                new Properties(), "shown", n -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openssl pkcs8 -topk8");
    }
}
