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
 * single-server runs, on three etcd members, a three-server ZooKeeper ensemble, a Redis
 * master + replica + three Sentinels and a Redis Cluster of three masters with a replica each, with
 * the leader/master paused, killed and restarted (on Redis Cluster, the master serving one of the
 * run's lock names), and (etcd, ZooKeeper) the leader or a follower cut off from its peers, besides
 * the proxy faults (etcd, ZooKeeper) and the worker faults.
 * Runs in the long tier ({@code robit-faults/cluster-tier.sh}) or with {@code -Drobit.faults.clusters=true};
 * besides the checker's report it writes how long grants were unavailable after each server fault
 * and when holders that lost a lock were told, against the next grant of that lock, to
 * {@code target/faults/BACKEND-SEED/unavailable.txt}, and a line to {@code target/faults/clusters.md}.
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

    @Test
    void redisCluster() throws Exception {
        run("redis-cluster", ClusterBackends.redisCluster(), FaultSuite.config(10000));
    }

    private static void run(String name, Backend backend, FaultRun.Config config) throws Exception {
        Path dir = FaultSuite.runDir(name, config);
        Report report = FaultSuite.run(backend, config, dir);
        String unavailable = unavailability(dir) + notices(dir, config);
        Files.writeString(dir.resolve("unavailable.txt"), unavailable, StandardCharsets.UTF_8);
        Files.writeString(dir.getParent().resolve("clusters.md"), String.format(
                "| %s | %s | seed %d | %.0f s | load %.0f / %.0f | %d holds | faults %s | double grants %d certain, %d possible "
                        + "| token regressions %d | late notices %d | losses %s | %s |%n",
                name, java.time.Instant.now().toString().substring(0, 16), config.seed(), report.seconds(), report.load().mean(),
                report.load().max(), report.holds(), report.faultsByKind(), report.deadlineOverruns(), report.count("overrunsPossible"),
                report.tokenRegressions(), report.lateNotices(), report.lossesByReason(), unavailable.strip().replace('\n', ';')),
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println(unavailable);
        org.assertj.core.api.Assertions.assertThat(report.violations()).as(report.summary()).isEmpty();
        org.assertj.core.api.Assertions.assertThat(report.holds()).as("the run made progress: " + report.summary()).isGreaterThanOrEqualTo(5);
    }

    /**
     * Of the holds that were told they lost their lock and whose lock was granted again later (the
     * next token of that name), how many were told before the rival's acquire was even sent (so
     * certainly before its grant), while it was in flight, or only after it returned (the checker
     * judges those: excused by a stop of the holder, or a late notice); and by how much they were
     * told before the rival's request.
     */
    static String notices(Path dir, FaultRun.Config config) throws IOException {
        Map<String, List<Map<String, String>>> histories = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("w.*\\.jsonl")).toList()) {
                histories.put(file.getFileName().toString().replace(".jsonl", ""), History.read(file));
            }
        }
        Holds holds = new Holds(histories, config.drift().toNanos(), Map.of(), Long.MAX_VALUE);
        Map<String, List<Holds.Hold>> byName = new TreeMap<>();
        for (Holds.Hold h : holds.all) {
            byName.computeIfAbsent(h.name, k -> new ArrayList<>()).add(h);
        }
        int told = 0;
        int before = 0;
        int during = 0;
        int after = 0;
        List<Long> margins = new ArrayList<>();
        for (List<Holds.Hold> grants : byName.values()) {
            grants.sort(java.util.Comparator.comparingLong(h -> h.token));
            for (int i = 0; i < grants.size(); i++) {
                Holds.Hold h = grants.get(i);
                if (h.notice == Long.MAX_VALUE) {
                    continue;
                }
                told++;
                Holds.Hold rival = i + 1 < grants.size() ? grants.get(i + 1) : null;
                if (rival == null) {
                    continue;
                }
                if (h.notice <= rival.sent) {
                    before++;
                    margins.add((rival.sent - h.notice) / 1_000_000);
                } else if (h.notice <= rival.start) {
                    during++;
                } else {
                    after++;
                }
            }
        }
        List<Long> sorted = margins.stream().sorted().toList();
        return String.format("loss notices: %d holders told; of the %d whose lock was granted again, %d were told before the rival's request "
                + "was sent (by min %s ms, p50 %s ms), %d while it was in flight, %d after its grant returned%n", told, before + during + after,
                before, sorted.isEmpty() ? "-" : sorted.get(0), sorted.isEmpty() ? "-" : sorted.get((sorted.size() - 1) / 2), during, after);
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
