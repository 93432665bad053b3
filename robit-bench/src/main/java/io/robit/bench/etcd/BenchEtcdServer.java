package io.robit.bench.etcd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A throwaway etcd for one benchmark run: free loopback ports, data on /dev/shm, deleted on close. */
final class BenchEtcdServer implements AutoCloseable {
    private final Path dataDir;
    private final Process process;
    private final String endpoint;

    private BenchEtcdServer(Path dataDir, Process process, String endpoint) {
        this.dataDir = dataDir;
        this.process = process;
        this.endpoint = endpoint;
    }

    static BenchEtcdServer start(String binary) throws IOException, InterruptedException {
        Path base = Files.isDirectory(Paths.get("/dev/shm")) ? Paths.get("/dev/shm") : Paths.get(System.getProperty("java.io.tmpdir"));
        Path dataDir = Files.createTempDirectory(base, "robit-bench-etcd-");
        int clientPort = freePort();
        int peerPort = freePort();
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        Process process = new ProcessBuilder(List.of(binary, "--name", "bench", "--data-dir", dataDir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "bench=" + peer,
                "--logger", "zap", "--log-level", "error"))
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("etcd.log").toFile()).start();
        BenchEtcdServer server = new BenchEtcdServer(dataDir, process, "127.0.0.1:" + clientPort);
        server.awaitHealthy();
        return server;
    }

    String endpoint() {
        return endpoint;
    }

    private void awaitHealthy() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://" + endpoint + "/health")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited; see " + dataDir.resolve("etcd.log"));
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.ofString()).body().contains("true")) {
                    return;
                }
            } catch (IOException e) {
                // not yet listening
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("etcd did not become healthy in 30 s");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
