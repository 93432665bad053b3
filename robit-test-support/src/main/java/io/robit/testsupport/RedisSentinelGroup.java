package io.robit.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A master, one replica and three Sentinels (quorum 2) of the test's own, on free loopback ports,
 * without persistence. Stops only its own processes. Not thread-safe.
 */
public final class RedisSentinelGroup implements AutoCloseable {
    public static final String MASTER_NAME = "robit-group";

    private final RedisServer master;
    private final RedisServer replica;
    private final List<RedisServer> sentinels;
    private final Path dir;

    private RedisSentinelGroup(RedisServer master, RedisServer replica, List<RedisServer> sentinels, Path dir) {
        this.master = master;
        this.replica = replica;
        this.sentinels = sentinels;
        this.dir = dir;
    }

    /** Starts the group and waits until the replica is online and every Sentinel knows it. */
    public static RedisSentinelGroup start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("robit-redis-sentinel");
        List<RedisServer> started = new ArrayList<>();
        try {
            RedisServer master = RedisServer.start();
            started.add(master);
            RedisServer replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
            started.add(replica);
            awaitOutput(master, List.of("info", "replication"), "state=online", "replica online");
            List<RedisServer> sentinels = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path config = dir.resolve("sentinel-" + i + ".conf");
                // Generous timeouts: the test machine is heavily loaded, and a spurious failover would
                // make every measurement meaningless.
                Files.writeString(config, "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master.port() + " 2\n"
                        + "sentinel down-after-milliseconds " + MASTER_NAME + " 3000\n"
                        + "sentinel failover-timeout " + MASTER_NAME + " 20000\n"
                        + "sentinel parallel-syncs " + MASTER_NAME + " 1\n");
                RedisServer sentinel = RedisServer.startWith(config.toString(), "--sentinel");
                started.add(sentinel);
                sentinels.add(sentinel);
            }
            for (RedisServer sentinel : sentinels) {
                awaitOutput(sentinel, List.of("sentinel", "replicas", MASTER_NAME), Integer.toString(replica.port()), "sentinel knows the replica");
                awaitOutput(sentinel, List.of("sentinel", "sentinels", MASTER_NAME), "127.0.0.1", "sentinel knows another sentinel");
            }
            return new RedisSentinelGroup(master, replica, sentinels, dir);
        } catch (IOException | InterruptedException | RuntimeException e) {
            for (RedisServer process : started) {
                process.close();
            }
            throw e;
        }
    }

    private static void awaitOutput(RedisServer node, List<String> command, String expected, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String out = "";
        while (!(out = cli(node.port(), command)).contains(expected)) {
            if (System.nanoTime() > deadline) {
                throw new IOException(what + ": not within 60 s on port " + node.port() + ": " + out);
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    public static String cli(int port, List<String> command) throws IOException, InterruptedException {
        return RedisServer.cli(port, command);
    }

    /** A Robit URI naming the three Sentinels. */
    public String uri() {
        StringBuilder uri = new StringBuilder("redis-sentinel://");
        for (int i = 0; i < sentinels.size(); i++) {
            uri.append(i == 0 ? "" : ",").append("127.0.0.1:").append(sentinels.get(i).port());
        }
        return uri.append("#").append(MASTER_NAME).toString();
    }

    public RedisServer master() {
        return master;
    }

    public RedisServer replica() {
        return replica;
    }

    /** The data server (master or replica, whatever its role now) on {@code port}. */
    public RedisServer server(int port) {
        if (master.port() == port) {
            return master;
        }
        if (replica.port() == port) {
            return replica;
        }
        throw new IllegalArgumentException("no server of this group on port " + port);
    }

    /** The other data server than the one on {@code port}. */
    public RedisServer other(int port) {
        return server(port) == master ? replica : master;
    }

    /** Waits (bounded, 60 s) until the master on {@code masterPort} lists an online replica, e.g. after a killed master came back. */
    public void awaitReplicaOnline(int masterPort) throws IOException, InterruptedException {
        awaitOutput(server(masterPort), List.of("info", "replication"), "state=online", "replica online");
    }

    /** The port of the master the first Sentinel names now. */
    public int currentMasterPort() throws IOException, InterruptedException {
        String out = cli(sentinels.get(0).port(), List.of("sentinel", "get-master-addr-by-name", MASTER_NAME));
        String[] lines = out.strip().split("\\R");
        return Integer.parseInt(lines[lines.length - 1].strip());
    }

    @Override
    public void close() {
        for (RedisServer sentinel : sentinels) {
            sentinel.close();
        }
        replica.close();
        master.close();
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // temporary files only
        }
    }
}
