package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.tck.CuttableProxy;
import io.robit.tck.SecretScan;
import io.robit.tck.TestPki;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper with security on: a server of the test's own with digest authentication and a TLS
 * client port that requires a client certificate. Lock nodes of an authenticated driver carry
 * CREATOR_ALL_ACL, so a second identity can neither take the lock's node away nor change it; right
 * credentials work over plain TCP and TLS; no credentials, wrong ones, an untrusted server
 * certificate and a missing client certificate fail naming the cause, never showing a secret.
 */
class ZooKeeperSecurityIT {
    private static final String PASSWORD = "zk-alice-" + UUID.randomUUID();
    private static final String OTHER_PASSWORD = "zk-bob-" + UUID.randomUUID();
    private static final String WRONG_PASSWORD = "zk-wrong-" + UUID.randomUUID();
    private static final String SASL_PASSWORD = "zk-carol-" + UUID.randomUUID();
    private static final Duration TTL = Duration.ofSeconds(20);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    private static TestPki pki;
    private static SecureZooKeeper server;

    @BeforeAll
    static void startServer() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "robit-zk-client");
        server = SecureZooKeeper.start(pki, dir, Map.of("carol", SASL_PASSWORD));
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    private static String chroot() {
        return "sec-" + UUID.randomUUID();
    }

    private static String aliceUri(String chroot) {
        return "zookeeper://alice:" + PASSWORD + "@" + server.plain() + "/" + chroot + "?connectionTimeout=10s";
    }

    private static String tlsQuery(Path ca) {
        return "tls=true&cacert=" + ca + "&cert=" + pki.clientCert() + "&key=" + pki.clientKey();
    }

    /** A plain Curator client on {@code chroot}, authenticated as {@code user:password} unless null. */
    private static CuratorFramework raw(String chroot, String user, String password, ACLProvider acl) throws InterruptedException {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder().connectString(server.plain()).namespace(chroot)
                .retryPolicy(new RetryOneTime(100)).sessionTimeoutMs(10_000).connectionTimeoutMs(10_000);
        if (user != null) {
            builder.authorization("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
        if (acl != null) {
            builder.aclProvider(acl);
        }
        CuratorFramework client = builder.build();
        client.start();
        assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
        return client;
    }

    private static String heldNode(CuratorFramework client, String id) throws Exception {
        List<String> contenders = ZooKeeperTestSupport.contenders(client, id);
        assertThat(contenders).hasSize(1);
        return ZooKeeperTestSupport.BASE_PATH + "/" + LockNames.escape(id) + "/" + contenders.get(0);
    }

    @Test
    void anAuthenticatedDriversNodesAreCreatorOnlyAndASecondIdentityCannotDeleteTheHeldLock() throws Exception {
        String chroot = chroot();
        String id = "held-" + UUID.randomUUID();
        try (Driver<String> alice = Drivers.open(aliceUri(chroot));
                CuratorFramework aliceRaw = raw(chroot, "alice", PASSWORD, null);
                CuratorFramework bob = raw(chroot, "bob", OTHER_PASSWORD, null);
                CuratorFramework anonymous = raw(chroot, null, null, null)) {
            Lease lease = alice.acquire(id, TTL, TIMEOUT).orElseThrow();
            String node = heldNode(aliceRaw, id);
            Id aliceId = new Id("digest", DigestAuthenticationProvider.generateDigest("alice:" + PASSWORD));
            assertThat(aliceRaw.getACL().forPath(node)).containsExactly(new ACL(ZooDefs.Perms.ALL, aliceId));

            for (CuratorFramework intruder : List.of(bob, anonymous)) {
                assertThatThrownBy(() -> intruder.delete().forPath(node)).isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> intruder.setData().forPath(node, new byte[] {1})).isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> intruder.delete().deletingChildrenIfNeeded().forPath(ZooKeeperTestSupport.BASE_PATH))
                        .isInstanceOf(KeeperException.NoAuthException.class);
            }
            assertThat(aliceRaw.checkExists().forPath(node)).isNotNull();
            lease.refresh(TTL, TIMEOUT); // still ours
            assertThat(lease.lost()).isNotDone();
            alice.release(lease);
        }
    }

    @Test
    void aCertificateIdentityWithAclCreatorOwnsItsNodesAndOthersCannotDeleteThem() throws Exception {
        String chroot = chroot();
        String id = "x509-" + UUID.randomUUID();
        // No user:password@: the session's only identity is its client certificate (the server's x509 provider).
        String uri = "zookeeper://" + server.tls() + "/" + chroot + "?acl=creator&" + tlsQuery(pki.caCert());
        try (Driver<String> byCertificate = Drivers.open(uri);
                CuratorFramework owner = ZooKeeperClients.build(ZooKeeperUri.parse(uri)); // the same certificate, to look
                CuratorFramework reader = raw(chroot, null, null, null);
                CuratorFramework bob = raw(chroot, "bob", OTHER_PASSWORD, null)) {
            owner.start();
            assertThat(owner.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
            Lease lease = byCertificate.acquire(id, TTL, TIMEOUT).orElseThrow();
            String node = heldNode(owner, id);
            List<ACL> acl = owner.getACL().forPath(node);
            assertThat(acl).hasSize(1);
            assertThat(acl.get(0).getId().getScheme()).isEqualTo("x509");
            assertThat(acl.get(0).getId().getId()).contains("CN=robit-zk-client");
            assertThat(acl.get(0).getPerms()).isEqualTo(ZooDefs.Perms.ALL);

            for (CuratorFramework intruder : List.of(bob, reader)) {
                assertThatThrownBy(() -> intruder.delete().forPath(node)).isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> intruder.setData().forPath(node, new byte[] {1})).isInstanceOf(KeeperException.NoAuthException.class);
            }
            assertThat(owner.checkExists().forPath(node)).isNotNull();
            lease.refresh(TTL, TIMEOUT); // still ours
            assertThat(lease.lost()).isNotDone();
            byCertificate.release(lease);
            await().atMost(Duration.ofSeconds(30)).until(() -> owner.checkExists().forPath(node) == null); // its owner could delete it
        }
    }

    @Test
    void aSaslUserFromTheUriOwnsItsNodesAndOthersCannotDeleteThem() throws Exception {
        String chroot = chroot();
        String id = "sasl-" + UUID.randomUUID();
        // No JAAS file anywhere in this JVM: the login section comes from the URI.
        assertThat(System.getProperty("java.security.auth.login.config")).isNull();
        String uri = "zookeeper://carol:" + SASL_PASSWORD + "@" + server.plain() + "/" + chroot + "?auth=sasl";
        try (Driver<String> carol = Drivers.open(uri);
                CuratorFramework carolsClient = ZooKeeperClients.build(ZooKeeperUri.parse(uri)); // carol again, to look
                CuratorFramework bob = raw(chroot, "bob", OTHER_PASSWORD, null);
                CuratorFramework anonymous = raw(chroot, null, null, null)) {
            carolsClient.start();
            assertThat(carolsClient.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
            ZooKeeperClients.awaitSasl(carolsClient, ZooKeeperUri.parse(uri), Duration.ofSeconds(20));
            Lease lease = carol.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(carol.toString()).doesNotContain(SASL_PASSWORD);
            // CREATOR_ALL_ACL on the parents too: only carol may list the lock's contenders.
            assertThatThrownBy(() -> ZooKeeperTestSupport.contenders(bob, id)).isInstanceOf(KeeperException.NoAuthException.class);
            String parent = ZooKeeperTestSupport.BASE_PATH + "/" + LockNames.escape(id);
            List<String> contenders = ZooKeeperTestSupport.contenders(carolsClient, id);
            assertThat(contenders).hasSize(1);
            String node = parent + "/" + contenders.get(0);
            assertThat(carolsClient.getACL().forPath(node)).containsExactly(new ACL(ZooDefs.Perms.ALL, new Id("sasl", "carol")));
            for (CuratorFramework intruder : List.of(bob, anonymous)) {
                assertThatThrownBy(() -> intruder.delete().forPath(node)).isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> intruder.setData().forPath(node, new byte[] {1})).isInstanceOf(KeeperException.NoAuthException.class);
            }
            lease.refresh(TTL, TIMEOUT); // still ours
            assertThat(lease.lost()).isNotDone();
            carol.release(lease);
        }
    }

    @Test
    void aWrongSaslPasswordFailsNamingTheCause() {
        assertFailsNamingCause("zookeeper://carol:" + WRONG_PASSWORD + "@" + server.plain() + "/" + chroot() + "?auth=sasl&connectionTimeout=5s",
                "sasl");
    }

    /**
     * The right digest password over a driver's whole life and a server that stops answering: the
     * password shows in no exception, log line or {@code toString()} (issue 19, item 4).
     */
    @Test
    void theRightPasswordShowsNowhereOverADriversLifeAndABackendFailure() throws Exception {
        int port = Integer.parseInt(server.plain().substring(server.plain().lastIndexOf(':') + 1));
        try (CuttableProxy proxy = CuttableProxy.to(new InetSocketAddress("127.0.0.1", port))) {
            String uri = "zookeeper://alice:" + PASSWORD + "@127.0.0.1:" + proxy.address().getPort() + "/" + chroot() + "?sessionTimeout=4s";
            SecretScan.Lifecycle life = SecretScan.lifecycle(() -> Drivers.open(uri), proxy::cut, proxy::restore);
            assertThat(life.attempt().error()).as("an acquire with the server cut off").isInstanceOf(DriverException.class);
            SecretScan.assertNoSecret(life.shown(), PASSWORD);
        }
    }

    @Test
    void thePasswordMayComeFromAFile() throws Exception {
        Path file = dir.resolve("zk-password");
        Files.writeString(file, PASSWORD + "\n");
        String chroot = chroot();
        try (Driver<String> driver = Drivers.open("zookeeper://alice@" + server.plain() + "/" + chroot + "?passwordFile=" + file)) {
            Lease lease = driver.acquire("file-" + UUID.randomUUID(), TTL, TIMEOUT).orElseThrow();
            driver.release(lease);
        }
        // Same identity as the literal password: it may use what the other made.
        try (Driver<String> driver = Drivers.open(aliceUri(chroot))) {
            driver.release(driver.acquire("literal-" + UUID.randomUUID(), TTL, TIMEOUT).orElseThrow());
        }
    }

    @Test
    void noCredentialsAndWrongCredentialsFailNamingNoAuth() throws Exception {
        String chroot = chroot();
        try (Driver<String> alice = Drivers.open(aliceUri(chroot))) {
            alice.release(alice.acquire("setup", TTL, TIMEOUT).orElseThrow()); // alice owns the chroot and /robit/locks
            String base = "zookeeper://%s" + server.plain() + "/" + chroot + "?connectionTimeout=10s";
            for (String uri : List.of(base.formatted(""), base.formatted("alice:" + WRONG_PASSWORD + "@"), base.formatted("bob:" + OTHER_PASSWORD + "@"))) {
                assertFailsNamingCause(uri, "noauth");
            }
        }
    }

    @Test
    void rightCredentialsOverTlsWork() throws Exception {
        try (Driver<String> driver = Drivers.open("zookeeper://alice:" + PASSWORD + "@" + server.tls() + "/" + chroot() + "?"
                + tlsQuery(pki.caCert()))) {
            String id = "tls-" + UUID.randomUUID();
            Lease first = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            driver.release(first);
            Lease second = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
            driver.release(second);
        }
    }

    @Test
    void anUntrustedServerCertificateFails() {
        assertFailsNamingCause("zookeeper://alice:" + PASSWORD + "@" + server.tls() + "/" + chroot() + "?connectionTimeout=2s&"
                + tlsQuery(pki.untrustedCaCert()), "certification path");
    }

    @Test
    void noClientCertificateFails() {
        assertFailsNamingCause("zookeeper://alice:" + PASSWORD + "@" + server.tls() + "/" + chroot() + "?connectionTimeout=2s&tls=true&cacert="
                + pki.caCert(), "tls handshake with " + server.tls() + " failed");
    }

    @Test
    void aUserSuppliedClientsAclProviderIsRespected() throws Exception {
        Id aliceId = new Id("digest", DigestAuthenticationProvider.generateDigest("alice:" + PASSWORD));
        // A mutable list: ZooKeeper's client calls contains(null) on it, which List.of refuses.
        List<ACL> custom = new ArrayList<>(List.of(new ACL(ZooDefs.Perms.ALL, aliceId), new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE)));
        ACLProvider provider = new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return custom;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return custom;
            }
        };
        String chroot = chroot();
        String id = "custom-" + UUID.randomUUID();
        try (CuratorFramework client = raw(chroot, "alice", PASSWORD, provider);
                ZooKeeperDriver driver = ZooKeeperDriver.create(client);
                CuratorFramework anonymous = raw(chroot, null, null, null)) {
            Lease lease = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            String node = heldNode(client, id);
            assertThat(client.getACL().forPath(node)).containsExactlyElementsOf(custom);
            assertThat(anonymous.getData().forPath(node)).isNotNull(); // world READ, as the provider said
            assertThatThrownBy(() -> anonymous.delete().forPath(node)).isInstanceOf(KeeperException.NoAuthException.class);
            driver.release(lease);
        }
    }

    /**
     * Opens a driver and tries one acquire: a DriverException must come (from the open or the
     * acquire) whose message contains {@code cause}; no password may show in it, in the output
     * meanwhile or in the driver's toString.
     */
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
        SecretScan.assertNoSecret(attempt.shown(opened[0]), PASSWORD, OTHER_PASSWORD, WRONG_PASSWORD, SASL_PASSWORD);
    }
}
