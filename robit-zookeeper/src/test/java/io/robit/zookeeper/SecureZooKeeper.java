package io.robit.zookeeper;

import io.robit.tck.TestPki;
import io.robit.testsupport.Ports;
import io.robit.testsupport.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A ZooKeeper server of a test's own, in a child JVM (its TLS settings are system properties, which
 * must not leak into the clients of the test JVM): a plain client port and a TLS client port (Netty,
 * client certificate required, signed by {@code pki}'s CA), digest authentication (built in), the
 * x509 provider, so a TLS session is also authenticated as its certificate's subject, and SASL
 * DIGEST-MD5 for the users given to {@link #start(TestPki, Path, Map)} (a JAAS {@code Server} section
 * of the child JVM). Not thread-safe.
 */
final class SecureZooKeeper implements AutoCloseable {
    private final int plainPort;
    private final int tlsPort;
    private final Process process;
    private final Path log;

    private SecureZooKeeper(int plainPort, int tlsPort, Process process, Path log) {
        this.plainPort = plainPort;
        this.tlsPort = tlsPort;
        this.process = process;
        this.log = log;
    }

    static SecureZooKeeper start(TestPki pki, Path dir) throws IOException, InterruptedException {
        return start(pki, dir, Map.of());
    }

    /** As {@link #start(TestPki, Path)}, with SASL DIGEST-MD5 users (name to password). */
    static SecureZooKeeper start(TestPki pki, Path dir, Map<String, String> saslUsers) throws IOException, InterruptedException {
        int plainPort = Ports.free();
        int tlsPort = Ports.free();
        Path data = Files.createDirectories(dir.resolve("zk-data"));
        Path config = dir.resolve("zoo.cfg");
        Files.write(config, List.of(
                "tickTime=500",
                "dataDir=" + data,
                "clientPort=" + plainPort,
                "clientPortAddress=127.0.0.1",
                "secureClientPort=" + tlsPort,
                "secureClientPortAddress=127.0.0.1",
                "admin.enableServer=false",
                "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
                "authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
                "authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
                // ZooKeeper's client checks the name it resolves 127.0.0.1 to (localhost).
                "ssl.keyStore.location=" + pki.serverKeyStoreWithLocalhost(),
                "ssl.keyStore.password=" + TestPki.STORE_PASSWORD,
                "ssl.keyStore.type=PKCS12",
                "ssl.trustStore.location=" + pki.caTrustStore(),
                "ssl.trustStore.password=" + TestPki.STORE_PASSWORD,
                "ssl.trustStore.type=PKCS12"));
        Path log = dir.resolve("zk.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path jaas = dir.resolve("zk-server-jaas.conf");
        StringBuilder section = new StringBuilder("Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required");
        saslUsers.forEach((user, password) -> section.append("\n  user_").append(user).append("=\"").append(password).append('"'));
        Files.writeString(jaas, section.append(";\n};\n"));
        Process process = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Djava.security.auth.login.config=" + jaas,
                "-cp", System.getProperty("java.class.path"), "org.apache.zookeeper.server.ZooKeeperServerMain", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        SecureZooKeeper server = new SecureZooKeeper(plainPort, tlsPort, process, log);
        // Generous: a JVM with Netty and TLS took over 30 s to listen under a load average of 45.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!(Probes.listening(plainPort) && Probes.listening(tlsPort))) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IOException("ZooKeeper did not start; see " + log + ":\n" + Files.readString(log));
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return server;
    }

    /** {@code 127.0.0.1:port} of the plain client port. */
    String plain() {
        return "127.0.0.1:" + plainPort;
    }

    /** {@code 127.0.0.1:port} of the TLS client port. */
    String tls() {
        return "127.0.0.1:" + tlsPort;
    }

    Path log() {
        return log;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
