package io.robit.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A three-server ZooKeeper ensemble of real server processes: each server is its own JVM running
 * {@code QuorumPeerMain} from the ZooKeeper jar on this test's class path (Maven's
 * {@code org.apache.zookeeper:zookeeper}), on free loopback ports. Servers can be killed and
 * restarted; stops only its own processes.
 */
final class ZooKeeperEnsemble implements AutoCloseable {
    static final int TICK_MS = 1000;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path base;
    private final int[] clientPorts = new int[3];
    private final int[] quorumPorts = new int[3];
    private final int[] electionPorts = new int[3];
    private final Process[] processes = new Process[3];

    private ZooKeeperEnsemble(Path base) throws IOException {
        this.base = base;
        for (int i = 0; i < 3; i++) {
            clientPorts[i] = freePort();
            quorumPorts[i] = freePort();
            electionPorts[i] = freePort();
        }
    }

    static ZooKeeperEnsemble start() throws IOException, InterruptedException {
        ZooKeeperEnsemble ensemble = new ZooKeeperEnsemble(Files.createTempDirectory("robit-zk-ensemble-"));
        try {
            for (int i = 0; i < 3; i++) {
                ensemble.configure(i);
                ensemble.launch(i);
            }
            ensemble.awaitLeader();
            return ensemble;
        } catch (IOException | InterruptedException | RuntimeException e) {
            ensemble.close();
            throw e;
        }
    }

    private void configure(int server) throws IOException {
        Path data = base.resolve("s" + server);
        Files.createDirectories(data);
        Files.writeString(data.resolve("myid"), Integer.toString(server + 1));
        StringBuilder config = new StringBuilder()
                .append("tickTime=").append(TICK_MS).append('\n')
                // Generous on a loaded machine (in ticks).
                .append("initLimit=30\nsyncLimit=5\n")
                .append("dataDir=").append(data).append('\n')
                .append("clientPort=").append(clientPorts[server]).append('\n')
                .append("clientPortAddress=127.0.0.1\n")
                .append("admin.enableServer=false\n")
                .append("4lw.commands.whitelist=srvr\n");
        for (int i = 0; i < 3; i++) {
            config.append("server.").append(i + 1).append("=127.0.0.1:").append(quorumPorts[i]).append(':').append(electionPorts[i]).append('\n');
        }
        Files.writeString(base.resolve("s" + server + ".cfg"), config);
    }

    private void launch(int server) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", base.resolve("s" + server + ".cfg").toString()));
        processes[server] = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(base.resolve("s" + server + ".log").toFile())).start();
    }

    /** The index of the leader, waiting (bounded) until one of the live servers says it leads. */
    int awaitLeader() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < 3; i++) {
                if (processes[i] != null && srvr(i).contains("Mode: leader")) {
                    return i;
                }
            }
            TimeUnit.MILLISECONDS.sleep(250);
        }
        throw new IOException("no ZooKeeper leader within " + START_TIMEOUT + "; logs in " + base);
    }

    private String srvr(int server) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", clientPorts[server]), 1000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    /** Every server, as a Curator connect string. */
    String connectString() {
        StringJoiner hosts = new StringJoiner(",");
        for (int port : clientPorts) {
            hosts.add("127.0.0.1:" + port);
        }
        return hosts.toString();
    }

    /** SIGKILLs a server, keeping its data. */
    void kill(int server) throws InterruptedException {
        Process process = processes[server];
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
            processes[server] = null;
        }
    }

    /** Starts a killed server again on its ports and data. */
    void restart(int server) throws IOException {
        if (processes[server] == null) {
            launch(server);
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < 3; i++) {
            try {
                kill(i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(base)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
