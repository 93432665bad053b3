package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.robit.DriverException;
import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.tck.CuttableProxy;
import io.robit.tck.SecretScan;
import io.robit.tck.TestPki;
import io.robit.testsupport.EtcdServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd with security on, as production runs it: a server of the test's own whose client port
 * speaks TLS only and requires a client certificate, with authentication enabled and a user
 * {@code robit} limited to a role. Right credentials work; no password, a wrong one, an untrusted
 * server certificate and a missing client certificate each fail with a {@link DriverException} that
 * names the cause and shows no secret.
 */
class EtcdSecurityIT {
    private static final String PASSWORD = "etcd-pw-" + UUID.randomUUID();
    private static final String ROOT_PASSWORD = "etcd-root-" + UUID.randomUUID();
    private static final String WRONG_PASSWORD = "etcd-wrong-" + UUID.randomUUID();
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    private static TestPki pki;
    private static EtcdServer server;

    @BeforeAll
    static void startSecureEtcd() throws Exception {
        // The client certificate's CN is no etcd user, so the certificate alone grants nothing.
        pki = TestPki.create(dir.resolve("pki"), "robit-tls-client");
        server = EtcdServer.startTls(pki.serverCert(), pki.serverKey(), pki.caCert());
        try (Client admin = Client.builder().endpoints("https://" + server.endpoint())
                .sslContext(ssl -> ssl.trustManager(pki.caCert().toFile()).keyManager(pki.clientCert().toFile(), pki.clientKey().toFile()))
                .build()) {
            var auth = admin.getAuthClient();
            auth.userAdd(bytes("root"), bytes(ROOT_PASSWORD)).get(30, TimeUnit.SECONDS);
            auth.roleAdd(bytes("root")).get(30, TimeUnit.SECONDS);
            auth.userGrantRole(bytes("root"), bytes("root")).get(30, TimeUnit.SECONDS);
            auth.userAdd(bytes("robit"), bytes(PASSWORD)).get(30, TimeUnit.SECONDS);
            auth.roleAdd(bytes("robit-locks")).get(30, TimeUnit.SECONDS);
            auth.roleGrantPermission(bytes("robit-locks"), bytes("robit/"), bytes("robit0"), Permission.Type.READWRITE).get(30, TimeUnit.SECONDS);
            auth.userGrantRole(bytes("robit"), bytes("robit-locks")).get(30, TimeUnit.SECONDS);
            auth.authEnable().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static String tlsQuery(Path ca) {
        return "cacert=" + ca + "&cert=" + pki.clientCert() + "&key=" + pki.clientKey();
    }

    private static String lockName() {
        return "security-" + UUID.randomUUID();
    }

    @Test
    void rightCredentialsOverClientCertificateTlsWork() throws InterruptedException {
        try (Driver<String> driver = Drivers.open("etcds://robit:" + PASSWORD + "@" + server.endpoint() + "?" + tlsQuery(pki.caCert()))) {
            String id = lockName();
            Lease first = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(driver.acquire(id, TTL, TIMEOUT)).isEmpty();
            driver.release(first);
            Lease second = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
            // The keep-alive stream opened on jetcd's TLS connection, with the user's credentials.
            assertThat(((EtcdLease) second).session().keepAlive(TIMEOUT)).isEqualTo(TTL);
            driver.release(second);
            assertThat(driver.toString()).doesNotContain(PASSWORD);
        }
    }

    @Test
    void thePasswordMayComeFromAFileAndTlsFromTheTlsParameter() throws Exception {
        Path file = dir.resolve("etcd-password");
        Files.writeString(file, PASSWORD + "\n");
        try (Driver<String> driver = Drivers.open("etcd://robit@" + server.endpoint() + "?tls=true&passwordFile=" + file + "&"
                + tlsQuery(pki.caCert()))) {
            Lease lease = driver.acquire(lockName(), TTL, TIMEOUT).orElseThrow();
            driver.release(lease);
        }
    }

    /**
     * The right password over a driver's whole life and a server that stops answering: the password
     * shows in no exception, log line or {@code toString()} (issue 19, item 4).
     */
    @Test
    void theRightPasswordShowsNowhereOverADriversLifeAndABackendFailure() throws Exception {
        int port = Integer.parseInt(server.endpoint().substring(server.endpoint().lastIndexOf(':') + 1));
        try (CuttableProxy proxy = CuttableProxy.to(new InetSocketAddress("127.0.0.1", port))) {
            String uri = "etcds://robit:" + PASSWORD + "@127.0.0.1:" + proxy.address().getPort() + "?" + tlsQuery(pki.caCert());
            SecretScan.Lifecycle life = SecretScan.lifecycle(() -> Drivers.open(uri), proxy::cut, proxy::restore);
            assertThat(life.attempt().error()).as("an acquire with the server cut off").isInstanceOf(DriverException.class);
            SecretScan.assertNoSecret(life.shown(), PASSWORD, ROOT_PASSWORD);
        }
    }

    @Test
    void noPasswordFails() {
        assertFailsNamingCause("etcds://" + server.endpoint() + "?" + tlsQuery(pki.caCert()), "permission denied");
    }

    @Test
    void aWrongPasswordFails() {
        assertFailsNamingCause("etcds://robit:" + WRONG_PASSWORD + "@" + server.endpoint() + "?" + tlsQuery(pki.caCert()),
                "authentication failed");
    }

    @Test
    void anUntrustedServerCertificateFails() {
        assertFailsNamingCause("etcds://robit:" + PASSWORD + "@" + server.endpoint() + "?" + tlsQuery(pki.untrustedCaCert()),
                "certification path");
    }

    @Test
    void aServerCertificateForAnotherHostNameFails() {
        // The certificate names 127.0.0.1 only; "localhost" reaches the same server but must be refused.
        assertFailsNamingCause("etcds://robit:" + PASSWORD + "@localhost:" + server.clientPort() + "?" + tlsQuery(pki.caCert()),
                "no name matching localhost");
    }

    @Test
    void noClientCertificateFails() {
        assertFailsNamingCause("etcds://robit:" + PASSWORD + "@" + server.endpoint() + "?cacert=" + pki.caCert(),
                "bad_certificate");
    }

    @Test
    void plainTextToATlsPortFails() {
        // The TLS listener drops a plain-text HTTP/2 preface; gRPC reports that as a closed
        // stream or, when the server's reset arrives first, as a reset connection.
        assertFailsNamingCause("etcd://robit:" + PASSWORD + "@" + server.endpoint(),
                "network closed", "connection reset");
    }

    /**
     * Opens a driver from {@code uri} and tries one acquire: it must fail with a DriverException
     * whose text contains one of {@code causes}, and neither it, the output meanwhile nor the
     * driver's toString may contain a password.
     */
    private static void assertFailsNamingCause(String uri, String... causes) {
        Driver<String>[] opened = new Driver[1];
        SecretScan.Attempt attempt = SecretScan.attempt(() -> {
            try (Driver<String> driver = Drivers.open(uri)) {
                opened[0] = driver;
                Optional<Lease> lease = driver.acquire(lockName(), TTL, TIMEOUT);
                lease.ifPresent(driver::release);
                return lease;
            }
        });
        assertThat(attempt.error()).as("acquire through %s", opened[0]).isInstanceOf(DriverException.class);
        String text = attempt.error().getMessage().toLowerCase(Locale.ROOT);
        assertThat(causes).as("the failure names its cause: %s", attempt.error())
                .anySatisfy(cause -> assertThat(text).contains(cause));
        SecretScan.assertNoSecret(attempt.shown(opened[0]),
                PASSWORD, WRONG_PASSWORD, ROOT_PASSWORD);
    }
}
