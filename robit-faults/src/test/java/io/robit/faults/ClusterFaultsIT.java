package io.robit.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster tier of the fault suite (issue 14): the same workers, oracle and checker as the
 * single-server runs, on three etcd members, a three-server ZooKeeper ensemble and a Redis
 * master + replica + three Sentinels, with the leader/master paused, killed and restarted, and (etcd,
 * ZooKeeper) the leader or a follower cut off from its peers, besides the proxy and worker faults.
 * Runs in the long tier ({@code robit-faults/cluster-tier.sh}) or with {@code -Drobit.faults.clusters=true};
 * besides the checker's report it writes how long grants were unavailable after each server fault
 * to {@code target/faults/BACKEND-SEED/unavailable.txt} and a line to {@code target/faults/clusters.md}.
 */
class ClusterFaultsIT {
    @BeforeEach
    void onlyWhenAskedFor() {
        Assumptions.assumeTrue(FaultSuite.longTier() || Boolean.getBoolean("robit.faults.clusters"),
                "the cluster tier runs with -Drobit.faults.tier=long or -Drobit.faults.clusters=true (robit-faults/cluster-tier.sh)");
    }

    @Test
    void etcdCluster() throws Exception {
        run("etcd-cluster", ClusterBackends.etcd(), FaultSuite.config(6000));
    }

    @Test
    void zookeeperEnsemble() throws Exception {
        run("zookeeper-ensemble", ClusterBackends.zookeeper(), FaultSuite.config(4000));
    }

    @Test
    void redisSentinel() throws Exception {
        run("redis-sentinel", ClusterBackends.redisSentinel(), FaultSuite.config(10000));
    }

    private static void run(String name, Backend backend, FaultRun.Config config) throws Exception {
        Path dir = FaultSuite.runDir(name, config);
        Report report = FaultSuite.run(backend, config, dir);
        String unavailable = unavailability(dir);
        Files.writeString(dir.resolve("unavailable.txt"), unavailable, StandardCharsets.UTF_8);
        Files.writeString(dir.getParent().resolve("clusters.md"), "| " + name + " | " + config.seed() + " | " + report.faultsByKind() + " | "
                + report.holds() + " | " + report.lossesByReason() + " | " + unavailable.strip().replace('\n', ';') + " |\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println(unavailable);
        org.assertj.core.api.Assertions.assertThat(report.violations()).as(report.summary()).isEmpty();
        org.assertj.core.api.Assertions.assertThat(report.holds()).as("the run made progress: " + report.summary()).isGreaterThanOrEqualTo(5);
    }

    /**
     * Per server fault kind (a cut by whom it cut): from the fault's start to the answer of the first
     * grant whose request was sent after it, p50 / p99 / max over the run.
     */
    static String unavailability(Path dir) throws IOException {
        List<long[]> grants = new ArrayList<>(); // {sent, answered}
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("w.*\\.jsonl")).toList()) {
                for (Map<String, String> event : History.read(file)) {
                    if ("acq".equals(event.get("e"))) {
                        grants.add(new long[] {Long.parseLong(event.get("sent")), Long.parseLong(event.get("t"))});
                    }
                }
            }
        }
        Map<String, List<Long>> byKind = new TreeMap<>();
        for (Map<String, String> fault : History.read(dir.resolve("faults.jsonl"))) {
            String kind = fault.get("kind");
            if (!kind.equals("KILL_SERVER") && !kind.equals("PAUSE_SERVER") && !kind.equals("CUT_MEMBER")) {
                continue;
            }
            if (kind.equals("CUT_MEMBER")) {
                kind += fault.get("detail").startsWith("leader") ? " leader" : " follower";
            }
            long start = Long.parseLong(fault.get("start"));
            long first = grants.stream().filter(g -> g[0] >= start).mapToLong(g -> g[1]).min().orElse(Long.MAX_VALUE);
            if (first != Long.MAX_VALUE) {
                byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add((first - start) / 1_000_000);
            }
        }
        StringBuilder out = new StringBuilder();
        byKind.forEach((kind, ms) -> {
            List<Long> sorted = ms.stream().sorted().toList();
            out.append(String.format("%s: n=%d, first grant after the fault began: p50 %d ms, p99 %d ms, max %d ms%n", kind, sorted.size(),
                    sorted.get((sorted.size() - 1) / 2), sorted.get((int) Math.ceil(0.99 * sorted.size()) - 1), sorted.get(sorted.size() - 1)));
        });
        return out.toString();
    }
}
