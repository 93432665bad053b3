package io.robit.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A single-member etcd of a test's own ({@code $ETCD_BIN}, or Debian's {@code etcd-server}) on free
 * loopback ports, its data on tmpfs unless a directory is given; killed, paused and restarted on the
 * same ports and data as a test needs. {@link #shared()} is one server per test JVM; tests that
 * stop or restart a server start their own. Not thread-safe (but {@link #shared()} is).
 */
public final class EtcdServer implements AutoCloseable {
    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final Path dataDir;
    private final boolean ownsDataDir;
    private final int clientPort;
    private final ServerProcess process;

    private EtcdServer(Path dataDir, boolean ownsDataDir, int clientPort, ServerProcess process) {
        this.dataDir = dataDir;
        this.ownsDataDir = ownsDataDir;
        this.clientPort = clientPort;
        this.process = process;
    }

    /** The server shared by every test in this JVM; started on first use, stopped when the JVM exits. */
    public static EtcdServer shared() {
        return Shared.SERVER;
    }

    // Started when first used (class initialization is lazy and thread-safe).
    private static final class Shared {
        static final EtcdServer SERVER = start();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(SERVER::close, "etcd-test-server-stop"));
        }
    }

    /** A new server of its own, on new ports, data on tmpfs; {@link #close()} deletes it. */
    public static EtcdServer start() {
        return start(binary(), tmpfsDir(), true, List.of());
    }

    /** Like {@link #start()} with the given etcd binary. */
    public static EtcdServer start(String binary) {
        return start(binary, tmpfsDir(), true, List.of());
    }

    /** A new server whose data (and log) live in {@code dir}, which it keeps. */
    public static EtcdServer startIn(Path dir) {
        return start(binary(), dir, false, List.of());
    }

    /**
     * A new server whose client port speaks TLS only and requires a client certificate signed by
     * {@code caCert}; its health is served over plain http on a port of its own.
     */
    public static EtcdServer startTls(Path serverCert, Path serverKey, Path caCert) {
        return start(binary(), tmpfsDir(), true, List.of("--cert-file", serverCert.toString(), "--key-file", serverKey.toString(),
                "--trusted-ca-file", caCert.toString(), "--client-cert-auth"));
    }

    private static EtcdServer start(String binary, Path dataDir, boolean ownsDataDir, List<String> tlsArgs) {
        for (int attempt = 1; ; attempt++) {
            try {
                return start(binary, dataDir, ownsDataDir, tlsArgs, Ports.free());
            } catch (IllegalStateException e) {
                // Only in a directory of its own: a directory the caller gave may hold data to keep.
                if (attempt >= ServerProcess.PORT_ATTEMPTS || !ownsDataDir || !ServerProcess.portTaken(dataDir.resolve("etcd.log"))) {
                    throw e;
                }
                // Started again on new ports, from no data: the failed start may have written some.
                deleteData(dataDir.resolve("data"));
            }
        }
    }

    private static int freeOtherThan(int... taken) {
        while (true) {
            int port = Ports.free();
            if (java.util.Arrays.stream(taken).noneMatch(t -> t == port)) {
                return port;
            }
        }
    }

    private static EtcdServer start(String binary, Path dataDir, boolean ownsDataDir, List<String> tlsArgs, int clientPort) {
        int peerPort = freeOtherThan(clientPort);
        int healthPort = tlsArgs.isEmpty() ? clientPort : freeOtherThan(clientPort, peerPort);
        String peer = "http://127.0.0.1:" + peerPort;
        String client = (tlsArgs.isEmpty() ? "http://" : "https://") + "127.0.0.1:" + clientPort;
        List<String> command = new ArrayList<>(List.of(binary,
                "--name", "robit-test",
                "--data-dir", dataDir.resolve("data").toString(),
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
            Files.createDirectories(dataDir);
            ServerProcess process = ServerProcess.start("etcd", command, dataDir.resolve("etcd.log"), STARTUP, () -> Probes.etcdHealthy(healthPort));
            return new EtcdServer(dataDir, ownsDataDir, clientPort, process);
        } catch (IOException e) {
            throw new IllegalStateException("could not start etcd for tests", e);
        }
    }

    /** {@code 127.0.0.1:port} of the client port. */
    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    /** {@code etcd://127.0.0.1:port}. */
    public String uri() {
        return "etcd://" + endpoint();
    }

    public int clientPort() {
        return clientPort;
    }

    public long pid() {
        return process.pid();
    }

    /** The process, to kill, pause and start again. */
    public ServerProcess process() {
        return process;
    }

    /** Stops the server, keeping its data, as a crash would (SIGKILL). */
    public void kill() {
        process.kill();
    }

    /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
    public void pause() {
        process.pause();
    }

    /** Thaws a paused server (SIGCONT). */
    public void resume() {
        process.resume();
    }

    /** Starts it again on the same ports and data, and waits until it is healthy. */
    public void restart() {
        try {
            process.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.close();
        if (ownsDataDir) {
            deleteData(dataDir);
        }
    }

    private static void deleteData(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }

    /** {@code $ETCD_BIN}, or etcd from Debian's {@code etcd-server} (installed when missing). */
    static String binary() {
        return Installed.binary("etcd", "etcd-server", "ETCD_BIN");
    }

    private static Path tmpfsDir() {
        Path base = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            return Files.createTempDirectory(base, "robit-etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
