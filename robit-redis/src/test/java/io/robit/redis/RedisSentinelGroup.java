package io.robit.redis;

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
final class RedisSentinelGroup implements AutoCloseable {
    static final String MASTER_NAME = "robit-group";

    private final RedisProcess master;
    private final RedisProcess replica;
    private final List<RedisProcess> sentinels;
    private final Path dir;

    private RedisSentinelGroup(RedisProcess master, RedisProcess replica, List<RedisProcess> sentinels, Path dir) {
        this.master = master;
        this.replica = replica;
        this.sentinels = sentinels;
        this.dir = dir;
    }

    /** Starts the group and waits until the replica is online and every Sentinel knows it. */
    static RedisSentinelGroup start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("robit-redis-sentinel");
        List<RedisProcess> started = new ArrayList<>();
        try {
            RedisProcess master = RedisProcess.start();
            started.add(master);
            RedisProcess replica = RedisProcess.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
            started.add(replica);
            awaitOutput(master, List.of("info", "replication"), "state=online", "replica online");
            List<RedisProcess> sentinels = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path config = dir.resolve("sentinel-" + i + ".conf");
                // Generous timeouts: the test machine is heavily loaded, and a spurious failover would
                // make every measurement meaningless.
                Files.writeString(config, "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master.port() + " 2\n"
                        + "sentinel down-after-milliseconds " + MASTER_NAME + " 3000\n"
                        + "sentinel failover-timeout " + MASTER_NAME + " 20000\n"
                        + "sentinel parallel-syncs " + MASTER_NAME + " 1\n");
                RedisProcess sentinel = RedisProcess.startWith(config.toString(), "--sentinel");
                started.add(sentinel);
                sentinels.add(sentinel);
            }
            for (RedisProcess sentinel : sentinels) {
                awaitOutput(sentinel, List.of("sentinel", "replicas", MASTER_NAME), Integer.toString(replica.port()), "sentinel knows the replica");
                awaitOutput(sentinel, List.of("sentinel", "sentinels", MASTER_NAME), "127.0.0.1", "sentinel knows another sentinel");
            }
            return new RedisSentinelGroup(master, replica, sentinels, dir);
        } catch (IOException | InterruptedException | RuntimeException e) {
            for (RedisProcess process : started) {
                process.close();
            }
            throw e;
        }
    }

    private static void awaitOutput(RedisProcess node, List<String> command, String expected, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String out = "";
        while (!(out = cli(node.port(), command)).contains(expected)) {
            if (System.nanoTime() > deadline) {
                throw new IOException(what + ": not within 60 s on port " + node.port() + ": " + out);
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    static String cli(int port, List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        full.addAll(command);
        Process cli = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(cli.getInputStream().readAllBytes());
        cli.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    /** A Robit URI naming the three Sentinels. */
    String uri() {
        StringBuilder uri = new StringBuilder("redis-sentinel://");
        for (int i = 0; i < sentinels.size(); i++) {
            uri.append(i == 0 ? "" : ",").append("127.0.0.1:").append(sentinels.get(i).port());
        }
        return uri.append("#").append(MASTER_NAME).toString();
    }

    RedisProcess master() {
        return master;
    }

    RedisProcess replica() {
        return replica;
    }

    /** The port of the master the first Sentinel names now. */
    int currentMasterPort() throws IOException, InterruptedException {
        String out = cli(sentinels.get(0).port(), List.of("sentinel", "get-master-addr-by-name", MASTER_NAME));
        String[] lines = out.strip().split("\\R");
        return Integer.parseInt(lines[lines.length - 1].strip());
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisProcess sentinel : sentinels) {
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
