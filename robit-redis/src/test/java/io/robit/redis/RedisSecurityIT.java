package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.tck.CuttableProxy;
import io.robit.tck.SecretScan;
import io.robit.tck.TestPki;
import io.robit.testsupport.Ports;
import io.robit.testsupport.RedisServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis with security on: a redis-server of the test's own with a TLS port that requires a client
 * certificate, {@code requirepass} for the default user and an ACL user {@code alice} limited to the
 * keys {@code robit-sec:*}. Right credentials work; no password, a wrong one, a key outside the
 * user's ACL, an untrusted server certificate and a missing client certificate fail with a
 * {@link DriverException} naming the cause and showing no secret.
 */
class RedisSecurityIT {
    private static final String ALICE_PASSWORD = "redis-alice-" + UUID.randomUUID();
    private static final String DEFAULT_PASSWORD = "redis-default-" + UUID.randomUUID();
    private static final String WRONG_PASSWORD = "redis-wrong-" + UUID.randomUUID();
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    private static TestPki pki;
    private static Process server;
    private static int plainPort;
    private static int tlsPort;

    @BeforeAll
    static void startRedis() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "robit-redis-client");
        plainPort = Ports.free();
        tlsPort = Ports.free();
        server = new ProcessBuilder("redis-server", "--port", Integer.toString(plainPort), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString(),
                "--tls-port", Integer.toString(tlsPort), "--tls-cert-file", pki.serverCert().toString(),
                "--tls-key-file", pki.serverKey().toString(), "--tls-ca-cert-file", pki.caCert().toString(), "--tls-auth-clients", "yes",
                "--requirepass", DEFAULT_PASSWORD,
                "--user", "alice", "on", ">" + ALICE_PASSWORD, "~robit-sec:*", "&*", "+@all")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(listening(plainPort) && listening(tlsPort))) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("redis-server with TLS did not start:\n" + Files.readString(dir.resolve("redis.log")));
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        // The first TLS connection of a JVM (Netty, Lettuce, the JDK's TLS) can take seconds on a busy
        // machine: pay for it here, with room, not in whichever test comes first.
        try (Driver<String> warm = Drivers.open(aliceUri(ALICE_PASSWORD, "robit-sec:"))) {
            warm.acquire("warm-up-" + UUID.randomUUID(), TTL, Duration.ofSeconds(60)).ifPresent(warm::release);
        }
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (server != null) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tls(Path ca) {
        return "cacert=" + ca + "&cert=" + pki.clientCert() + "&key=" + pki.clientKey();
    }

    private static String aliceUri(String password, String prefix) {
        return "rediss://alice:" + password + "@127.0.0.1:" + tlsPort + "?keyPrefix=" + prefix + "&" + tls(pki.caCert());
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
        }
    }

    @Test
    void anAclUserOverClientCertificateTlsWorks() throws InterruptedException {
        acquireAndReleaseTwice(aliceUri(ALICE_PASSWORD, "robit-sec:"));
    }

    @Test
    void theAclUsersPasswordMayComeFromAFile() throws Exception {
        Path file = dir.resolve("redis-password");
        Files.writeString(file, ALICE_PASSWORD + "\n");
        acquireAndReleaseTwice("rediss://alice@127.0.0.1:" + tlsPort + "?keyPrefix=robit-sec:&passwordFile=" + file + "&" + tls(pki.caCert()));
    }

    @Test
    void requirepassWorksOnThePlainPort() throws InterruptedException {
        // Lettuce's form: a user info without ':' is the default user's password.
        acquireAndReleaseTwice("redis://" + DEFAULT_PASSWORD + "@127.0.0.1:" + plainPort + "?keyPrefix=robit-sec-default:");
    }

    /**
     * A one-node Cluster (all slots on one master) whose clients and bus speak TLS: the Cluster
     * client takes the password and the TLS files, and follows the topology to the TLS port.
     */
    @Test
    void aClusterOverTlsWithAPasswordWorks() throws Exception {
        int plain = Ports.free();
        int tls = Ports.free();
        Path nodeDir = Files.createDirectories(dir.resolve("cluster"));
        Process node = new ProcessBuilder("redis-server", "--port", Integer.toString(plain), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", nodeDir.toString(),
                "--cluster-enabled", "yes", "--cluster-config-file", nodeDir.resolve("nodes.conf").toString(), "--tls-cluster", "yes",
                "--tls-port", Integer.toString(tls), "--tls-cert-file", pki.serverCert().toString(),
                "--tls-key-file", pki.serverKey().toString(), "--tls-ca-cert-file", pki.caCert().toString(), "--tls-auth-clients", "yes",
                "--requirepass", DEFAULT_PASSWORD)
                .redirectErrorStream(true).redirectOutput(nodeDir.resolve("redis.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!(listening(plain) && listening(tls))) {
                assertThat(node.isAlive() && System.nanoTime() < deadline).as("cluster node starts").isTrue();
                TimeUnit.MILLISECONDS.sleep(50);
            }
            assertThat(redisCli(plain, "cluster", "addslotsrange", "0", "16383")).contains("OK");
            while (!redisCli(plain, "cluster", "info").contains("cluster_state:ok")) {
                assertThat(System.nanoTime() < deadline).as("cluster state ok").isTrue();
                TimeUnit.MILLISECONDS.sleep(100);
            }
            acquireAndReleaseTwice("rediss://" + DEFAULT_PASSWORD + "@127.0.0.1:" + tls + "?cluster=true&keyPrefix=robit-sec-cluster:&"
                    + tls(pki.caCert()));
        } finally {
            node.destroyForcibly();
            node.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A Sentinel whose clients speak TLS, watching the TLS master (over TLS, with the master's
     * password): {@code rediss-sentinel://} finds the master and authenticates there.
     */
    @Test
    void aSentinelOverTlsFindsThePasswordProtectedMaster() throws Exception {
        int sentinelPort = Ports.free();
        Path sentinelDir = Files.createDirectories(dir.resolve("sentinel"));
        Path config = sentinelDir.resolve("sentinel.conf");
        Files.write(config, List.of(
                "port 0", "bind 127.0.0.1", "tls-port " + sentinelPort, "tls-cert-file " + pki.serverCert(), "tls-key-file " + pki.serverKey(),
                "tls-ca-cert-file " + pki.caCert(), "tls-auth-clients yes", "tls-replication yes", "dir " + sentinelDir,
                "sentinel monitor robit-master 127.0.0.1 " + tlsPort + " 1", "sentinel auth-pass robit-master " + DEFAULT_PASSWORD,
                "sentinel down-after-milliseconds robit-master 5000"));
        Process sentinel = new ProcessBuilder("redis-server", config.toString(), "--sentinel")
                .redirectErrorStream(true).redirectOutput(sentinelDir.resolve("sentinel.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!listening(sentinelPort)) {
                assertThat(sentinel.isAlive() && System.nanoTime() < deadline).as("sentinel starts: %s", sentinelDir).isTrue();
                TimeUnit.MILLISECONDS.sleep(50);
            }
            String uri = "rediss-sentinel://" + DEFAULT_PASSWORD + "@127.0.0.1:" + sentinelPort + "/0?keyPrefix=robit-sec-sentinel:&"
                    + tls(pki.caCert()) + "#robit-master";
            try (Driver<String> driver = Drivers.open(uri)) {
                String id = "sentinel-" + UUID.randomUUID();
                Lease lease = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptionsInstanceOf(DriverException.class)
                        .until(() -> driver.acquire(id, TTL, TIMEOUT), java.util.Optional::isPresent).orElseThrow();
                driver.release(lease);
            }
        } finally {
            sentinel.destroyForcibly();
            sentinel.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String redisCli(int port, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("REDISCLI_AUTH", DEFAULT_PASSWORD);
        Process cli = builder.start();
        String out = new String(cli.getInputStream().readAllBytes());
        cli.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    /**
     * The right password over a driver's whole life and a backend that stops answering: the password
     * shows in no exception, log line or {@code toString()} (issue 19, item 4).
     */
    @Test
    void theRightPasswordShowsNowhereOverADriversLifeAndABackendFailure() throws Exception {
        try (CuttableProxy proxy = CuttableProxy.to(new InetSocketAddress("127.0.0.1", plainPort))) {
            String uri = "redis://default:" + DEFAULT_PASSWORD + "@127.0.0.1:" + proxy.address().getPort() + "?keyPrefix=robit-sec-life:";
            SecretScan.Lifecycle life = SecretScan.lifecycle(() -> Drivers.open(uri), proxy::cut, proxy::restore);
            assertThat(life.attempt().error()).as("an acquire with the server cut off").isInstanceOf(DriverException.class);
            SecretScan.assertNoSecret(life.shown(), DEFAULT_PASSWORD);
        }
    }

    @Test
    void noPasswordFailsWithNoauth() {
        assertFailsNamingCause("redis://127.0.0.1:" + plainPort + "?keyPrefix=robit-sec:", "noauth");
    }

    @Test
    void aWrongPasswordFailsWithWrongpass() {
        assertFailsNamingCause(aliceUri(WRONG_PASSWORD, "robit-sec:"), "wrongpass");
    }

    @Test
    void keysOutsideTheUsersAclFailWithNoperm() {
        assertFailsNamingCause(aliceUri(ALICE_PASSWORD, "elsewhere:"), "noperm");
    }

    @Test
    void anUntrustedServerCertificateFails() {
        assertFailsNamingCause("rediss://alice:" + ALICE_PASSWORD + "@127.0.0.1:" + tlsPort + "?keyPrefix=robit-sec:&" + tls(pki.untrustedCaCert()),
                "certification path");
    }

    @Test
    void aServerCertificateForAnotherHostNameFails() {
        // The certificate names 127.0.0.1 only; "localhost" reaches the same server but must be refused.
        assertFailsNamingCause("rediss://alice:" + ALICE_PASSWORD + "@localhost:" + tlsPort + "?keyPrefix=robit-sec:&" + tls(pki.caCert()),
                "no name matching localhost");
    }

    @Test
    void noClientCertificateFails() {
        assertFailsNamingCause("rediss://alice:" + ALICE_PASSWORD + "@127.0.0.1:" + tlsPort + "?keyPrefix=robit-sec:&cacert=" + pki.caCert(),
                "certificate", "closed", "reset");
    }

    private static void assertFailsNamingCause(String uri, String... causes) {
        Driver<String>[] opened = new Driver[1];
        SecretScan.Attempt attempt = SecretScan.attempt(() -> {
            try (Driver<String> driver = Drivers.open(uri)) {
                opened[0] = driver;
                driver.acquire("denied-" + UUID.randomUUID(), TTL, TIMEOUT).ifPresent(driver::release);
                return null;
            }
        });
        assertThat(attempt.error()).as("acquire through %s", opened[0]).isInstanceOf(DriverException.class);
        String message = attempt.error().getMessage().toLowerCase(Locale.ROOT);
        assertThat(List.of(causes)).as("the message names the cause: %s", attempt.error().getMessage()).anySatisfy(c -> assertThat(message).contains(c));
        SecretScan.assertNoSecret(attempt.shown(opened[0]), ALICE_PASSWORD, DEFAULT_PASSWORD, WRONG_PASSWORD);
    }
}
