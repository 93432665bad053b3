package io.robit.testsupport;

import java.io.IOException;
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
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Three etcd members of the test's own ({@code $ETCD_BIN}, or Debian's {@code etcd-server}) on free loopback
 * ports, data on tmpfs; members can be killed, restarted, paused and cut off from the others
 * ({@link #cut}) while their clients stay connected: every member advertises a {@link PeerLinks}
 * forwarder as its peer URL, and the forwarders tell the member a connection comes from by its
 * process. Stops only its own processes.
 */
public final class EtcdCluster implements AutoCloseable {
    private static final int HEARTBEAT_MILLIS = 250;
    private static final int ELECTION_TIMEOUT_MILLIS = 2500;
    /**
     * The shortest lease these members grant, whatever is asked: etcd's minimum TTL is 1.5 election
     * timeouts, rounded up to whole seconds (3.75 s here).
     */
    public static final Duration MINIMUM_LEASE = Duration.ofSeconds((ELECTION_TIMEOUT_MILLIS * 3 / 2 + 999) / 1000);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern MEMBER = Pattern.compile("\"member_id\":\"(\\d+)\"");
    private static final Pattern LEADER = Pattern.compile("\"leader\":\"(\\d+)\"");

    private final Path base;
    private final int[] clientPorts;
    private final int[] peerPorts;
    private final Process[] processes;
    private final int[] advertisedPeerPorts;
    private final PeerLinks links;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private EtcdCluster(Path base, int size) {
        this.base = base;
        this.clientPorts = new int[size];
        this.peerPorts = new int[size];
        this.processes = new Process[size];
        this.advertisedPeerPorts = new int[size];
        this.links = new PeerLinks(size, this::pid);
        for (int i = 0; i < size; i++) {
            clientPorts[i] = Ports.free();
            peerPorts[i] = Ports.free();
        }
    }

    /** The process id of {@code member}, or -1 while it is killed. */
    public long pid(int member) {
        Process process = processes[member];
        return process == null ? -1 : process.pid();
    }

    public static EtcdCluster start() throws IOException, InterruptedException {
        Path tmp = Files.isDirectory(Paths.get("/dev/shm")) ? Paths.get("/dev/shm") : Paths.get(System.getProperty("java.io.tmpdir"));
        EtcdCluster cluster = new EtcdCluster(Files.createTempDirectory(tmp, "robit-etcd-cluster-"), 3);
        try {
            for (int i = 0; i < 3; i++) {
                cluster.advertisedPeerPorts[i] = cluster.links.open(PeerLinks.ANY_SOURCE, i, cluster.peerPorts[i]);
            }
            for (int i = 0; i < 3; i++) {
                cluster.launch(i, "new");
            }
            cluster.awaitLeader();
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void launch(int member, String state) throws IOException {
        StringJoiner initial = new StringJoiner(",");
        for (int i = 0; i < peerPorts.length; i++) {
            initial.add("m" + i + "=http://127.0.0.1:" + advertisedPeerPorts[i]);
        }
        String client = "http://127.0.0.1:" + clientPorts[member];
        String peer = "http://127.0.0.1:" + peerPorts[member];
        // Peers reach a member only through its forwarder, which a cut stalls.
        String advertised = "http://127.0.0.1:" + advertisedPeerPorts[member];
        List<String> command = List.of(binary(), "--name", "m" + member, "--data-dir", base.resolve("m" + member).toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", advertised,
                "--initial-cluster", initial.toString(), "--initial-cluster-state", state,
                "--initial-cluster-token", base.getFileName().toString(),
                // Generous on a loaded machine: missed heartbeats would elect leaders all day.
                "--heartbeat-interval", String.valueOf(HEARTBEAT_MILLIS), "--election-timeout", String.valueOf(ELECTION_TIMEOUT_MILLIS),
                "--logger", "zap", "--log-level", "warn");
        processes[member] = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(base.resolve("m" + member + ".log").toFile())).start();
    }

    /** The index of the member that is leader now, waiting (bounded) until the live members agree on one. */
    public int awaitLeader() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < clientPorts.length; i++) {
                if (processes[i] == null) {
                    continue;
                }
                String status = status(i);
                Matcher member = MEMBER.matcher(status);
                Matcher leader = LEADER.matcher(status);
                if (member.find() && leader.find() && member.group(1).equals(leader.group(1))) {
                    return i;
                }
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IOException("no etcd leader within " + START_TIMEOUT + "; logs in " + base);
    }

    private String status(int member) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + clientPorts[member] + "/v3/maintenance/status"))
                .timeout(Duration.ofSeconds(2)).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        }
    }

    /** {@code etcd://} naming every member. */
    public String uri() {
        return uri(0, 1, 2);
    }

    /** {@code etcd://} naming the given members only. */
    public String uri(int... members) {
        StringJoiner endpoints = new StringJoiner(",", "etcd://", "");
        for (int member : members) {
            endpoints.add("127.0.0.1:" + clientPorts[member]);
        }
        return endpoints.toString();
    }

    /** Cuts {@code member} off from the other members, both ways, until {@link #heal}; its clients stay connected to it. */
    public void cut(int member) {
        links.cut(member);
    }

    /** Ends every cut. */
    public void heal() {
        links.heal();
    }

    /** Freezes a member (SIGSTOP): its connections stay open, nothing is answered. */
    public void pause(int member) {
        ServerProcess.signal("etcd", processes[member].pid(), "STOP");
    }

    /** Thaws a paused member (SIGCONT). */
    public void resume(int member) {
        ServerProcess.signal("etcd", processes[member].pid(), "CONT");
    }

    /** Whether {@code member} runs and says it is the leader now (a cut-off leader says so until it notices). */
    public boolean isLeader(int member) throws InterruptedException {
        if (processes[member] == null) {
            return false;
        }
        String status = status(member);
        Matcher id = MEMBER.matcher(status);
        Matcher leader = LEADER.matcher(status);
        return id.find() && leader.find() && id.group(1).equals(leader.group(1));
    }

    public int clientPort(int member) {
        return clientPorts[member];
    }

    public String endpoint(int member) {
        return "http://127.0.0.1:" + clientPorts[member];
    }

    /** SIGKILLs a member (a paused one too), keeping its data. */
    public void kill(int member) throws InterruptedException {
        Process process = processes[member];
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
            processes[member] = null;
        }
    }

    /** Starts a killed member again on its ports and data. */
    public void restart(int member) throws IOException {
        if (processes[member] == null) {
            launch(member, "existing");
        }
    }

    @Override
    public void close() {
        links.close();
        for (int i = 0; i < processes.length; i++) {
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

    private static String binary() {
        return EtcdServer.binary();
    }
}
