package io.robit.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A three-master Redis Cluster of the test's own, on free loopback ports, without persistence; with or without one replica per master. */
final class RedisCluster implements AutoCloseable {
    private final List<RedisProcess> nodes;
    private final Path dir;

    private RedisCluster(List<RedisProcess> nodes, Path dir) {
        this.nodes = nodes;
        this.dir = dir;
    }

    static RedisCluster start() throws IOException, InterruptedException {
        return start(0);
    }

    /** Three masters with {@code replicasPerMaster} replicas each (0 or 1), every replica online. */
    static RedisCluster start(int replicasPerMaster) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("robit-redis-cluster");
        List<RedisProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3 * (1 + replicasPerMaster); i++) {
                nodes.add(RedisProcess.start("--cluster-enabled", "yes", "--cluster-config-file", dir.resolve("nodes-%PORT%.conf").toString(),
                        "--cluster-node-timeout", "5000"));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (RedisProcess node : nodes) {
                create.add("127.0.0.1:" + node.port());
            }
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
            Process cli = new ProcessBuilder(create).redirectErrorStream(true).redirectOutput(dir.resolve("create.log").toFile()).start();
            if (!cli.waitFor(60, TimeUnit.SECONDS) || cli.exitValue() != 0) {
                cli.destroyForcibly();
                throw new IOException("redis-cli --cluster create failed: " + Files.readString(dir.resolve("create.log")));
            }
            RedisCluster cluster = new RedisCluster(nodes, dir);
            cluster.awaitOk();
            if (replicasPerMaster > 0) {
                cluster.awaitReplicasOnline(3 * replicasPerMaster);
            }
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            for (RedisProcess node : nodes) {
                node.close();
            }
            throw e;
        }
    }

    private void awaitOk() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (RedisProcess node : nodes) {
            while (!clusterInfo(node).contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("cluster on port " + node.port() + " is not ok: " + clusterInfo(node));
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
    }

    private void awaitReplicasOnline(int replicas) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int online = 0;
        while (online < replicas) {
            if (System.nanoTime() > deadline) {
                throw new IOException("only " + online + " of " + replicas + " cluster replicas online");
            }
            TimeUnit.MILLISECONDS.sleep(200);
            online = 0;
            for (RedisProcess node : nodes) {
                online += ReplicaAcks.onlineReplicas(RedisSentinelGroup.cli(node.port(), List.of("info", "replication")));
            }
        }
    }

    private static String clusterInfo(RedisProcess node) throws IOException, InterruptedException {
        Process cli = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(node.port()), "cluster", "info")
                .redirectErrorStream(true).start();
        String out = new String(cli.getInputStream().readAllBytes());
        cli.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    /** A Robit URI naming every node as a seed. */
    String uri() {
        StringBuilder uri = new StringBuilder("redis://");
        for (int i = 0; i < nodes.size(); i++) {
            uri.append(i == 0 ? "" : ",").append("127.0.0.1:").append(nodes.get(i).port());
        }
        return uri.append("?cluster=true").toString();
    }

    List<RedisProcess> nodes() {
        return nodes;
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisProcess node : nodes) {
            node.close();
        }
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
