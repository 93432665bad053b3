package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.DriverException;
import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.tck.CuttableProxy;
import io.robit.tck.SecretScan;
import io.robit.tck.TestPki;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL and MariaDB with security on: private servers (never the shared ones) that accept TCP
 * only over TLS, with a dedicated user {@code robit} (password) and {@code robit_x509} (password and
 * client certificate). {@code cacert} alone turns on TLS with full verification; the right password
 * (literal or from a file) and a PEM client certificate work; none, a wrong one, an untrusted server
 * certificate, a missing client certificate and plain TCP fail with a {@link DriverException} naming
 * the cause, and no secret shows.
 */
class JdbcSecurityIT {
    private static final String PASSWORD = "jdbc-pw-" + UUID.randomUUID().toString().replace("-", "");
    private static final String WRONG_PASSWORD = "jdbc-wrong-" + UUID.randomUUID();
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    private static TestPki pki;
    private static PrivateDatabase postgres;
    private static PrivateDatabase mariadb;

    @BeforeAll
    static void startServers() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "robit-jdbc-client");
        postgres = PrivateDatabase.postgres(pki, dir, PASSWORD);
        mariadb = PrivateDatabase.mariadb(pki, dir, PASSWORD);
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
        if (mariadb != null) {
            mariadb.close();
        }
    }

    private static String pg(String userInfo, String query) {
        return "postgresql://" + userInfo + "127.0.0.1:" + postgres.port() + "/robit?createTable=true&" + query;
    }

    private static String maria(String userInfo, String query) {
        return "mariadb://" + userInfo + "127.0.0.1:" + mariadb.port() + "/robit?createTable=true&" + query;
    }

    private static void acquireAndReleaseTwice(String uri) throws InterruptedException {
        try (Driver<String> driver = Drivers.open(uri)) {
            String id = "sec-" + UUID.randomUUID();
            Lease first = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(driver.acquire(id, TTL, TIMEOUT)).isEmpty();
            driver.release(first);
            Lease second = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
            driver.release(second);
            assertThat(driver.toString()).doesNotContain(PASSWORD);
        }
    }

    @Test
    void postgresOverVerifiedTlsWithAPasswordWorks() throws InterruptedException {
        acquireAndReleaseTwice(pg("robit:" + PASSWORD + "@", "cacert=" + pki.caCert()));
    }

    @Test
    void mariadbOverVerifiedTlsWithAPasswordWorks() throws InterruptedException {
        acquireAndReleaseTwice(maria("robit:" + PASSWORD + "@", "cacert=" + pki.caCert()));
    }

    @Test
    void thePasswordMayComeFromAFile() throws Exception {
        Path file = dir.resolve("jdbc-password");
        Files.writeString(file, PASSWORD + "\n");
        acquireAndReleaseTwice(pg("robit@", "passwordFile=" + file + "&cacert=" + pki.caCert()));
        acquireAndReleaseTwice(maria("robit@", "passwordFile=" + file + "&cacert=" + pki.caCert()));
    }

    @Test
    void aClientCertificateFromPemFilesWorksWhereTheServerRequiresOne() throws InterruptedException {
        // A table of its own: robit_x509 has no rights on robit's table (the threat model's advice).
        String tls = "table=robit_x509_locks&cacert=" + pki.caCert() + "&cert=" + pki.clientCert() + "&key=" + pki.clientKey();
        acquireAndReleaseTwice(pg("robit_x509:" + PASSWORD + "@", tls));
        acquireAndReleaseTwice(maria("robit_x509:" + PASSWORD + "@", tls));
    }

    @Test
    void noClientCertificateFailsWhereTheServerRequiresOne() {
        assertFailsNamingCause(pg("robit_x509:" + PASSWORD + "@", "cacert=" + pki.caCert()), "certificate");
        // MariaDB answers a REQUIRE X509 user without a certificate with "access denied", revealing no more.
        assertFailsNamingCause(maria("robit_x509:" + PASSWORD + "@", "cacert=" + pki.caCert()), "access denied");
    }

    /**
     * The right password over a driver's whole life and a database that stops answering, on both
     * servers: the password shows in no exception, log line or {@code toString()} (issue 19, item 4).
     */
    @Test
    void theRightPasswordShowsNowhereOverADriversLifeAndABackendFailure() throws Exception {
        for (PrivateDatabase database : List.of(postgres, mariadb)) {
            try (CuttableProxy proxy = CuttableProxy.to(new InetSocketAddress("127.0.0.1", database.port()))) {
                String scheme = database == postgres ? "postgresql" : "mariadb";
                String uri = scheme + "://robit:" + PASSWORD + "@127.0.0.1:" + proxy.address().getPort() + "/robit?createTable=true&cacert="
                        + pki.caCert();
                SecretScan.Lifecycle life = SecretScan.lifecycle(() -> Drivers.open(uri), proxy::cut, proxy::restore);
                assertThat(life.attempt().error()).as("%s: an acquire with the server cut off", scheme).isInstanceOf(DriverException.class);
                SecretScan.assertNoSecret(life.shown(), PASSWORD);
            }
        }
    }

    @Test
    void noPasswordFails() {
        assertFailsNamingCause(pg("robit@", "cacert=" + pki.caCert()), "no password was provided");
        assertFailsNamingCause(maria("robit@", "cacert=" + pki.caCert()), "access denied");
    }

    @Test
    void aWrongPasswordFails() {
        assertFailsNamingCause(pg("robit:" + WRONG_PASSWORD + "@", "cacert=" + pki.caCert()), "password authentication failed");
        assertFailsNamingCause(maria("robit:" + WRONG_PASSWORD + "@", "cacert=" + pki.caCert()), "access denied");
    }

    @Test
    void anUntrustedServerCertificateFails() {
        assertFailsNamingCause(pg("robit:" + PASSWORD + "@", "cacert=" + pki.untrustedCaCert()), "certification path");
        assertFailsNamingCause(maria("robit:" + PASSWORD + "@", "cacert=" + pki.untrustedCaCert()), "certification path");
    }

    @Test
    void aServerCertificateForAnotherHostNameFails() {
        // The certificate names 127.0.0.1 only; "localhost" reaches the same server but must be refused.
        assertFailsNamingCause("postgresql://robit:" + PASSWORD + "@localhost:" + postgres.port() + "/robit?cacert=" + pki.caCert(),
                "hostname localhost could not be verified");
        assertFailsNamingCause("mariadb://robit:" + PASSWORD + "@localhost:" + mariadb.port() + "/robit?cacert=" + pki.caCert(),
                "hostname verification failed");
    }

    @Test
    void plainTcpIsRefusedByTheServer() {
        assertFailsNamingCause(pg("robit:" + PASSWORD + "@", "sslmode=disable"), "no encryption");
        // MariaDB answers a REQUIRE SSL user on plain TCP with "access denied", revealing no more.
        assertFailsNamingCause(maria("robit:" + PASSWORD + "@", "sslMode=disable"), "access denied");
    }

    /** Opening a driver and one acquire must fail naming {@code cause}, without showing a password. */
    private static void assertFailsNamingCause(String uri, String cause) {
        Driver<String>[] opened = new Driver[1];
        SecretScan.Attempt attempt = SecretScan.attempt(() -> {
            try (Driver<String> driver = Drivers.open(uri)) {
                opened[0] = driver;
                driver.acquire("denied-" + UUID.randomUUID(), TTL, TIMEOUT).ifPresent(driver::release);
                return null;
            }
        });
        assertThat(attempt.error()).as("opening and acquiring through %s", opened[0]).isInstanceOf(DriverException.class);
        assertThat(attempt.error().getMessage().toLowerCase(Locale.ROOT)).contains(cause);
        SecretScan.assertNoSecret(attempt.shown(opened[0]), PASSWORD, WRONG_PASSWORD);
    }
}
