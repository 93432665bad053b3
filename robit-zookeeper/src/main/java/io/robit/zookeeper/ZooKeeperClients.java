package io.robit.zookeeper;

import io.robit.DriverException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.api.CuratorEventType;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.client.ZooKeeperSaslClient;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.common.X509Util;
import org.apache.zookeeper.data.ACL;

/**
 * Makes the Curator client of a driver opened from a URI: digest or SASL DIGEST-MD5 authentication (the
 * JAAS section built from the URI, see {@link SaslLogins}), the ACL of created
 * nodes ({@code CREATOR_ALL_ACL} when authenticated), and TLS through ZooKeeper's Netty socket with
 * the server's chain and host name verified. Stateless.
 */
final class ZooKeeperClients {
    private static final int PROBE_TIMEOUT_MILLIS = 3_000;
    /** A loaded server's JVM can take seconds over a handshake: room, since it only delays a failure's message. */
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 8_000;
    private static final int PROBE_READ_MILLIS = 1_000;
    private static final long SASL_POLL_MILLIS = 20;

    private ZooKeeperClients() {
    }

    /** A client for {@code uri}, not started. */
    static CuratorFramework build(ZooKeeperUri uri) {
        CuratorFrameworkFactory.Builder factory = CuratorFrameworkFactory.builder()
                .connectString(uri.connectString())
                .sessionTimeoutMs(Math.toIntExact(uri.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(uri.connectionTimeout().toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 3))
                .aclProvider(aclProvider(uri.acl()));
        uri.namespace().ifPresent(factory::namespace);
        Optional<ZooKeeperUri.Credentials> credentials = uri.credentials();
        credentials.filter(c -> c.auth() == ZooKeeperUri.Auth.DIGEST)
                .ifPresent(digest -> factory.authorization("digest", digest.authorization().getBytes(StandardCharsets.UTF_8)));
        String saslSection = credentials.filter(c -> c.auth() == ZooKeeperUri.Auth.SASL)
                .map(sasl -> SaslLogins.register(sasl.user(), sasl.password())).orElse(null);
        Path keyStore = null;
        if (uri.tls().isPresent() || saslSection != null) {
            ZKClientConfig config = new ZKClientConfig();
            if (uri.tls().isPresent()) {
                keyStore = uri.tls().get().cert().isPresent() ? combinedKeyStore(uri.tls().get()) : null;
                tlsConfig(config, uri.tls().get(), keyStore);
            }
            if (saslSection != null) {
                config.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "true");
                config.setProperty(ZKClientConfig.LOGIN_CONTEXT_NAME_KEY, saslSection);
                // ZooKeeper 3.9's FIPS mode (on by default) refuses DIGEST-MD5. Off, TLS (if any) checks
                // the server's chain and host name with ZooKeeper's own trust manager instead of the JDK's.
                config.setProperty(X509Util.FIPS_MODE_PROPERTY, "false");
            }
            factory.zkClientConfig(config);
        }
        CuratorFramework client = factory.build();
        if (keyStore != null || saslSection != null) {
            Path copy = keyStore;
            // The key store and the login section are read again on each reconnect: they live as long as the client.
            client.getCuratorListenable().addListener((closing, event) -> {
                if (event.getType() == CuratorEventType.CLOSING) {
                    if (copy != null) {
                        deleteQuietly(copy);
                    }
                    if (saslSection != null) {
                        SaslLogins.unregister(saslSection);
                    }
                }
            });
        }
        return client;
    }

    /**
     * Waits for a client built from {@code uri} to connect and, with {@code auth=sasl}, to finish its
     * SASL login, both within the URI's connection timeout.
     *
     * @throws DriverException no connection (with a diagnosis of why) or a failed login
     */
    static void awaitConnected(CuratorFramework client, ZooKeeperUri uri) throws InterruptedException {
        if (!client.blockUntilConnected(Math.toIntExact(uri.connectionTimeout().toMillis()), TimeUnit.MILLISECONDS)) {
            throw new DriverException("zookeeper " + uri.connectString() + ": no connection within " + uri.connectionTimeout()
                    + diagnose(uri), new KeeperException.ConnectionLossException());
        }
        awaitSasl(client, uri, uri.connectionTimeout());
    }

    /**
     * With SASL, waits until the connected session has authenticated: ZooKeeper reports a connection
     * before its SASL exchange ends, and a failed login shows only later, as lost connections.
     * Returns at once without SASL.
     *
     * @throws DriverException the login failed, or did not end within {@code wait}
     */
    static void awaitSasl(CuratorFramework client, ZooKeeperUri uri, Duration wait) throws InterruptedException {
        Optional<ZooKeeperUri.Credentials> sasl = uri.credentials().filter(c -> c.auth() == ZooKeeperUri.Auth.SASL);
        if (sasl.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            ZooKeeperSaslClient.SaslState state = saslState(client);
            if (state == ZooKeeperSaslClient.SaslState.COMPLETE) {
                return;
            }
            if (state == ZooKeeperSaslClient.SaslState.FAILED || System.nanoTime() - deadline >= 0) {
                throw new DriverException("zookeeper " + uri.connectString() + ": SASL (DIGEST-MD5) authentication as '" + sasl.get().user() + "' "
                        + (state == ZooKeeperSaslClient.SaslState.FAILED ? "failed: wrong user or password, or the server has no SASL provider"
                        : "did not finish within " + wait) + " (see docs/security.md)", new KeeperException.AuthFailedException());
            }
            // ZooKeeper tells the end of the exchange to the session's default watcher, which Curator owns: poll briefly.
            TimeUnit.MILLISECONDS.sleep(SASL_POLL_MILLIS);
        }
    }

    private static ZooKeeperSaslClient.SaslState saslState(CuratorFramework client) {
        try {
            ZooKeeper zooKeeper = client.getZookeeperClient().getZooKeeper();
            if (zooKeeper.getState() == ZooKeeper.States.AUTH_FAILED) {
                return ZooKeeperSaslClient.SaslState.FAILED;
            }
            ZooKeeperSaslClient sasl = zooKeeper.getSaslClient();
            return sasl == null ? ZooKeeperSaslClient.SaslState.INITIAL : sasl.getSaslState();
        } catch (Exception e) {
            return ZooKeeperSaslClient.SaslState.INITIAL; // between connections: look again
        }
    }

    private static ACLProvider aclProvider(ZooKeeperUri.Acl acl) {
        List<ACL> list = acl == ZooKeeperUri.Acl.CREATOR ? ZooDefs.Ids.CREATOR_ALL_ACL : ZooDefs.Ids.OPEN_ACL_UNSAFE;
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return list;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return list;
            }
        };
    }

    private static ZKClientConfig tlsConfig(ZKClientConfig config, ZooKeeperUri.Tls tls, Path keyStore) {
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        try (ClientX509Util x509 = new ClientX509Util()) {
            config.setProperty(x509.getSslTruststoreLocationProperty(), tls.caCert().orElseThrow().toString());
            config.setProperty(x509.getSslTruststoreTypeProperty(), "PEM");
            config.setProperty(x509.getSslHostnameVerificationEnabledProperty(), "true");
            if (keyStore != null) {
                config.setProperty(x509.getSslKeystoreLocationProperty(), keyStore.toString());
                config.setProperty(x509.getSslKeystoreTypeProperty(), "PEM");
            }
        }
        return config;
    }

    /** ZooKeeper reads a PEM key store from one file holding the key and the chain: a private copy. */
    private static Path combinedKeyStore(ZooKeeperUri.Tls tls) {
        try {
            Path file = Files.createTempFile("robit-zk-client-", ".pem", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            file.toFile().deleteOnExit();
            Files.write(file, Files.readAllBytes(tls.key().orElseThrow()));
            Files.write(file, "\n".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
            Files.write(file, Files.readAllBytes(tls.cert().orElseThrow()), StandardOpenOption.APPEND);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the ZooKeeper client key store from " + tls.cert().orElseThrow() + " and "
                    + tls.key().orElseThrow(), e);
        }
    }

    /**
     * Why a connection to {@code uri} fails, for the message of a connection timeout (ZooKeeper's
     * client only retries, silently): the outcome of one TCP connection to each host (refused,
     * timed out, unknown host), or with TLS of one TLS handshake made with the client's own TLS
     * settings. Empty when every host answers.
     */
    static String diagnose(ZooKeeperUri uri) {
        if (uri.tls().isEmpty()) {
            StringBuilder why = new StringBuilder();
            for (String hostPort : uri.connectString().split(",")) {
                Socket socket = new Socket();
                String failure = connect(socket, hostPort);
                closeQuietly(socket);
                if (failure != null) {
                    why.append(why.length() == 0 ? " (" : "; ").append(hostPort).append(": ").append(failure);
                }
            }
            return why.length() == 0 ? "" : why.append(")").toString();
        }
        Path keyStore = uri.tls().get().cert().isPresent() ? combinedKeyStore(uri.tls().get()) : null;
        try (ClientX509Util x509 = new ClientX509Util()) {
            SSLContext context = x509.createSSLContext(tlsConfig(new ZKClientConfig(), uri.tls().get(), keyStore));
            StringBuilder why = new StringBuilder();
            for (String hostPort : uri.connectString().split(",")) {
                String failure = handshake(context, hostPort);
                if (failure != null) {
                    why.append(why.length() == 0 ? " (" : "; ").append("TLS handshake with ").append(hostPort).append(" failed: ").append(failure);
                }
            }
            return why.length() == 0 ? "" : why.append(")").toString();
        } catch (X509Exception.SSLContextException e) {
            return " (the TLS settings cannot be used: " + e.getMessage() + ")";
        } finally {
            if (keyStore != null) {
                deleteQuietly(keyStore);
            }
        }
    }

    /** Connects {@code socket} to {@code hostPort}; null on success, else why not. */
    private static String connect(Socket socket, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 || hostPort.endsWith("]") ? hostPort : hostPort.substring(0, colon);
        int port = colon < 0 || hostPort.endsWith("]") ? 2181 : Integer.parseInt(hostPort.substring(colon + 1));
        host = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        try {
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), PROBE_TIMEOUT_MILLIS);
            return null;
        } catch (ConnectException e) {
            return "connection refused (is ZooKeeper running there?)";
        } catch (SocketTimeoutException e) {
            return "no answer to a TCP connection within " + PROBE_TIMEOUT_MILLIS + " ms";
        } catch (UnknownHostException e) {
            return "unknown host";
        } catch (IOException | RuntimeException e) {
            return e.toString();
        }
    }

    private static String handshake(SSLContext context, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        int port = colon < 0 || hostPort.endsWith("]") ? 2181 : Integer.parseInt(hostPort.substring(colon + 1));
        Socket plain = new Socket();
        String failure = connect(plain, hostPort);
        if (failure != null) {
            closeQuietly(plain);
            return failure;
        }
        // ZooKeeper's client checks the certificate against the name it resolves the address to
        // (127.0.0.1 becomes "localhost"): do the same, so the probe fails where the client does.
        String peerName = plain.getInetAddress().getHostName();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, peerName, port, true)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
            socket.startHandshake();
            // With TLS 1.3 the server judges our certificate after our side of the handshake is
            // done: its verdict (an alert, or a close) comes with the first read.
            socket.setSoTimeout(PROBE_READ_MILLIS);
            try {
                if (socket.getInputStream().read() < 0) {
                    return "the server closed the connection after the handshake (does it require a client certificate: cert, key?)";
                }
            } catch (SocketTimeoutException quiet) {
                // the server waits for ZooKeeper's connect request: TLS is fine
            }
            return null;
        } catch (IOException | RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return root == e ? e.toString() : e + " (" + root.getMessage() + ")";
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing was sent
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // deleteOnExit still applies
        }
    }
}
