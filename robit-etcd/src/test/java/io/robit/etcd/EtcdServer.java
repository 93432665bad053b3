package io.robit.etcd;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real etcd server for tests: {@code /usr/bin/etcd} (Debian's {@code etcd-server}, or {@code $ETCD_BIN})
 * on free loopback ports with a temporary data directory on tmpfs, stopped and deleted by {@link #close()}.
 * {@link #shared()} is one server per test JVM; tests that stop or restart a server start their own.
 */
final class EtcdServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path dataDir;
    private final int clientPort;
    private final int peerPort;
    private final Path log;
    private final List<String> tlsArgs; // empty: plain http
    private final int healthPort; // where /health is served over plain http
    private Process process;

    private EtcdServer(Path dataDir, int clientPort, int peerPort, List<String> tlsArgs, int healthPort) {
        this.dataDir = dataDir;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.tlsArgs = List.copyOf(tlsArgs);
        this.healthPort = healthPort;
        this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    /** The server shared by every test in this JVM; started on first use, stopped when the JVM exits. */
    static EtcdServer shared() {
        return Shared.SERVER;
    }

    // Started when first used (class initialization is lazy and thread-safe).
    private static final class Shared {
        static final EtcdServer SERVER = start();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(SERVER::close, "etcd-test-server-stop"));
        }
    }

    /** A new server of its own, on new ports. */
    static EtcdServer start() {
        return start(List.of());
    }

    /**
     * A new server whose client port speaks TLS only and requires a client certificate signed by
     * {@code pki}'s CA; its health is served over plain http on a port of its own.
     */
    static EtcdServer startTls(io.robit.tck.TestPki pki) {
        return start(List.of("--cert-file", pki.serverCert().toString(), "--key-file", pki.serverKey().toString(),
                "--trusted-ca-file", pki.caCert().toString(), "--client-cert-auth"));
    }

    private static EtcdServer start(List<String> tlsArgs) {
        try {
            Path base = Files.isDirectory(Paths.get("/dev/shm")) ? Paths.get("/dev/shm") : Paths.get(System.getProperty("java.io.tmpdir"));
            Path dataDir = Files.createTempDirectory(base, "robit-etcd-");
            int clientPort = freePort();
            EtcdServer server = new EtcdServer(dataDir, clientPort, freePort(), tlsArgs, tlsArgs.isEmpty() ? clientPort : freePort());
            server.launch();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("could not start etcd for tests", e);
        }
    }

    String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    String uri() {
        return "etcd://" + endpoint();
    }

    int clientPort() {
        return clientPort;
    }

    /** Stops the server, keeping its data, as a crash would (SIGKILL). */
    void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(process);
            process = null;
        }
    }

    /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
    void pause() {
        signal("STOP");
    }

    /** Thaws a paused server (SIGCONT). */
    void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts it again on the same ports and data. */
    void restart() {
        if (process != null) {
            throw new IllegalStateException("etcd is running");
        }
        launch();
    }

    private void launch() {
        String peer = "http://127.0.0.1:" + peerPort;
        String client = (tlsArgs.isEmpty() ? "http://" : "https://") + endpoint();
        List<String> command = new ArrayList<>(List.of(binary(),
                "--name", "robit-test",
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "robit-test=" + peer,
                "--initial-cluster-state", "new",
                "--logger", "zap", "--log-level", "warn"));
        if (!tlsArgs.isEmpty()) {
            command.addAll(tlsArgs);
            command.addAll(List.of("--listen-metrics-urls", "http://127.0.0.1:" + healthPort));
        }
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command.get(0) + " (apt-get install etcd-server, or set ETCD_BIN)", e);
        }
        awaitHealthy();
    }

    private void awaitHealthy() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + "/health")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains("true")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting etcd", e);
            }
            sleep(100);
        }
        throw new IllegalStateException("etcd did not become healthy within " + START_TIMEOUT + "; see " + log);
    }

    @Override
    public void close() {
        kill();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // best effort
        }
    }

    private static String binary() {
        String configured = System.getenv("ETCD_BIN");
        return configured != null && !configured.isBlank() ? configured : "/usr/bin/etcd";
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
