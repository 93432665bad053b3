package io.robit.testsupport;

import java.io.IOException;
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
public final class ZooKeeperEnsemble implements AutoCloseable {
    public static final int TICK_MS = 1000;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path base;
    private final int[] clientPorts = new int[3];
    private final int[] quorumPorts = new int[3];
    private final int[] electionPorts = new int[3];
    private final Process[] processes = new Process[3];

    private ZooKeeperEnsemble(Path base) {
        this.base = base;
        for (int i = 0; i < 3; i++) {
            clientPorts[i] = Ports.free();
            quorumPorts[i] = Ports.free();
            electionPorts[i] = Ports.free();
        }
    }

    public static ZooKeeperEnsemble start() throws IOException, InterruptedException {
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
        List<String> command = new ArrayList<>(List.of(ServerProcess.java(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", ServerProcess.testClassPath(),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", base.resolve("s" + server + ".cfg").toString()));
        processes[server] = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(base.resolve("s" + server + ".log").toFile())).start();
    }

    /** The index of the leader, waiting (bounded) until one of the live servers says it leads. */
    public int awaitLeader() throws IOException, InterruptedException {
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
        return Probes.zookeeperCommand(clientPorts[server], "srvr");
    }

    /** Every server, as a Curator connect string. */
    public String connectString() {
        StringJoiner hosts = new StringJoiner(",");
        for (int port : clientPorts) {
            hosts.add("127.0.0.1:" + port);
        }
        return hosts.toString();
    }

    /** SIGKILLs a server, keeping its data. */
    public void kill(int server) throws InterruptedException {
        Process process = processes[server];
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
            processes[server] = null;
        }
    }

    /** Starts a killed server again on its ports and data. */
    public void restart(int server) throws IOException {
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
}
