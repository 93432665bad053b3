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
 * {@code org.apache.zookeeper:zookeeper}), on free loopback ports. Servers can be killed, restarted,
 * paused and cut off from the others ({@link #cut}) while their clients stay connected: each server's
 * configuration names its peers' quorum and election ports through {@link PeerLinks} forwarders of
 * that server's own, so every peer connection goes through a forwarder a cut stalls. ZooKeeper's
 * election handshake announces the dialling server's own election address, and a server with the
 * higher id answers a lower one by dialling that address back: the forwarder rewrites it to the
 * address of the forwarder for the way back. Stops only its own processes.
 */
public final class ZooKeeperEnsemble implements AutoCloseable {
    public static final int TICK_MS = 1000;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path base;
    private final int[] clientPorts = new int[3];
    private final int[] quorumPorts = new int[3];
    private final int[] electionPorts = new int[3];
    private final Process[] processes = new Process[3];
    private final PeerLinks links = new PeerLinks(3, this::pid);
    // [from][to]: the forwarders server `from` dials for server `to`'s ports.
    private final int[][] quorumLinks = new int[3][3];
    private final int[][] electionLinks = new int[3][3];
    private final boolean linked;

    private ZooKeeperEnsemble(Path base, boolean linked) {
        this.base = base;
        this.linked = linked;
        for (int i = 0; i < 3; i++) {
            clientPorts[i] = Ports.free();
            quorumPorts[i] = Ports.free();
            electionPorts[i] = Ports.free();
        }
    }

    /**
     * Three servers that reach each other directly: a killed server's ports refuse at once, so the
     * others elect a new leader in about a second. {@link #cut} needs {@link #startLinked}.
     */
    public static ZooKeeperEnsemble start() throws IOException, InterruptedException {
        return start(false);
    }

    /**
     * Three servers whose peer links go through {@link PeerLinks} forwarders, so that {@link #cut}
     * can partition one. Slower to recover from a killed leader (about 30 s seen here, against about
     * 1 s direct: a forwarder accepts for a dead server before it resets), so the kill smoke uses
     * {@link #start}.
     */
    public static ZooKeeperEnsemble startLinked() throws IOException, InterruptedException {
        return start(true);
    }

    private static ZooKeeperEnsemble start(boolean linked) throws IOException, InterruptedException {
        ZooKeeperEnsemble ensemble = new ZooKeeperEnsemble(Files.createTempDirectory("robit-zk-ensemble-"), linked);
        try {
            if (linked) {
                ensemble.openLinks();
            }
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

    /** The process id of {@code server}, or -1 while it is killed. */
    public long pid(int server) {
        Process process = processes[server];
        return process == null ? -1 : process.pid();
    }

    private void openLinks() throws IOException {
        for (int from = 0; from < 3; from++) {
            for (int to = 0; to < 3; to++) {
                if (from != to) {
                    int back = to;
                    int source = from;
                    quorumLinks[from][to] = links.open(from, to, quorumPorts[to]);
                    electionLinks[from][to] = links.open(from, to, electionPorts[to],
                            (in, out) -> announceWayBack(in, out, "127.0.0.1:" + electionLinks[back][source]));
                }
            }
        }
    }

    // ZooKeeper's election greeting: protocol version (long), server id (long), then in protocol
    // versions -65536 and -65535 the length (int) and text of the dialler's election address(es).
    private static void announceWayBack(java.io.DataInputStream in, java.io.DataOutputStream out, String wayBack) throws IOException {
        long version = in.readLong();
        out.writeLong(version);
        if (version != -65536L && version != -65535L) {
            return;
        }
        out.writeLong(in.readLong());
        int length = in.readInt();
        if (length < 0 || length > 4096) {
            throw new IOException("not a ZooKeeper election greeting: address length " + length);
        }
        in.readFully(new byte[length]);
        byte[] address = wayBack.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeInt(address.length);
        out.write(address);
    }

    private void configure(int server) throws IOException {
        Path data = base.resolve("s" + server);
        Files.createDirectories(data);
        Files.writeString(data.resolve("myid"), Integer.toString(server + 1));
        StringBuilder config = new StringBuilder()
                .append("tickTime=").append(TICK_MS).append('\n')
                // Generous on a loaded machine (in ticks).
                .append("initLimit=30\nsyncLimit=5\n")
                // Above the default cap of 20 ticks, for a failover test whose hold must outlast a slow election.
                .append("maxSessionTimeout=60000\n")
                .append("dataDir=").append(data).append('\n')
                .append("clientPort=").append(clientPorts[server]).append('\n')
                .append("clientPortAddress=127.0.0.1\n")
                .append("admin.enableServer=false\n")
                .append("4lw.commands.whitelist=srvr\n");
        // A server binds its own line; it reaches each peer through links of its own, which a cut stalls.
        for (int i = 0; i < 3; i++) {
            int quorum = i == server || !linked ? quorumPorts[i] : quorumLinks[server][i];
            int election = i == server || !linked ? electionPorts[i] : electionLinks[server][i];
            config.append("server.").append(i + 1).append("=127.0.0.1:").append(quorum).append(':').append(election).append('\n');
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

    /** Whether {@code server} is running and serves clients as leader or follower (its {@code srvr} says so). */
    public boolean isServing(int server) {
        String srvr = processes[server] == null ? "" : srvr(server);
        return srvr.contains("Mode: leader") || srvr.contains("Mode: follower");
    }

    public int clientPort(int server) {
        return clientPorts[server];
    }

    /** Every server, as a Curator connect string. */
    public String connectString() {
        return connectString(0, 1, 2);
    }

    /** The given servers only, as a Curator connect string. */
    public String connectString(int... servers) {
        StringJoiner hosts = new StringJoiner(",");
        for (int server : servers) {
            hosts.add("127.0.0.1:" + clientPorts[server]);
        }
        return hosts.toString();
    }

    /** Cuts {@code server} off from the other two, both ways, until {@link #heal}; its clients stay connected to it. */
    public void cut(int server) {
        if (!linked) {
            throw new IllegalStateException("cut needs an ensemble from ZooKeeperEnsemble.startLinked()");
        }
        links.cut(server);
    }

    /** Ends every cut. */
    public void heal() {
        links.heal();
    }

    /** Freezes a server (SIGSTOP): its connections stay open, nothing is answered. */
    public void pause(int server) {
        ServerProcess.signal("zookeeper", processes[server].pid(), "STOP");
    }

    /** Thaws a paused server (SIGCONT). */
    public void resume(int server) {
        ServerProcess.signal("zookeeper", processes[server].pid(), "CONT");
    }

    /** SIGKILLs a server, keeping its data. */
    public void kill(int server) throws InterruptedException {
        Process process = processes[server];
        if (process != null) {
            process.destroyForcibly(); // a SIGKILL ends a stopped process too
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
        links.close();
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
