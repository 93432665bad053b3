package io.robit.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A three-master Redis Cluster of the test's own, on free loopback ports, without persistence; with or without one replica per master. */
public final class RedisCluster implements AutoCloseable {
    private final List<RedisServer> nodes;
    private final Path dir;

    private RedisCluster(List<RedisServer> nodes, Path dir) {
        this.nodes = nodes;
        this.dir = dir;
    }

    public static RedisCluster start() throws IOException, InterruptedException {
        return start(0);
    }

    /** Three masters with {@code replicasPerMaster} replicas each (0 or 1), every replica online. */
    public static RedisCluster start(int replicasPerMaster) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("robit-redis-cluster");
        List<RedisServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3 * (1 + replicasPerMaster); i++) {
                nodes.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", dir.resolve("nodes-%PORT%.conf").toString(),
                        "--cluster-node-timeout", "5000"));
            }
            List<String> create = new ArrayList<>(List.of(Installed.binary("redis-cli", "redis-tools", null), "--cluster", "create"));
            for (RedisServer node : nodes) {
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
            for (RedisServer node : nodes) {
                node.close();
            }
            throw e;
        }
    }

    private void awaitOk() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (RedisServer node : nodes) {
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
            for (RedisServer node : nodes) {
                online += onlineReplicas(RedisServer.cli(node.port(), List.of("info", "replication")));
            }
        }
    }

    private static String clusterInfo(RedisServer node) throws IOException, InterruptedException {
        return node.cli("cluster", "info");
    }

    // INFO replication lists each replica as "slaveN:ip=...,state=online,...".
    private static int onlineReplicas(String info) {
        return (int) info.lines().filter(line -> line.startsWith("slave") && line.contains("state=online")).count();
    }

    /** A Robit URI naming every node as a seed. */
    public String uri() {
        StringBuilder uri = new StringBuilder("redis://");
        for (int i = 0; i < nodes.size(); i++) {
            uri.append(i == 0 ? "" : ",").append("127.0.0.1:").append(nodes.get(i).port());
        }
        return uri.append("?cluster=true").toString();
    }

    public List<RedisServer> nodes() {
        return nodes;
    }

    @Override
    public void close() {
        for (RedisServer node : nodes) {
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
