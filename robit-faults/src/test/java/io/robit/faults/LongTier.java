package io.robit.faults;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The long tier without Maven in the loop: {@code java -cp <test classpath> io.robit.faults.LongTier
 * TEST...} runs the named fault runs one after another, exactly as their ITs do with
 * {@code -Drobit.faults.tier=long} (the other {@code -Drobit.faults.*} knobs apply), and goes on after
 * a run that fails. {@code robit-faults/long-tier.sh} and {@code cluster-tier.sh} build once and call
 * it. Exit status 1 if any run failed. TEST is one of the keys of {@link #RUNS}; without TEST, the
 * single-server runs (the cluster runs are named explicitly).
 */
public final class LongTier {
    private interface Run {
        void run() throws Exception;
    }

    private static final Map<String, Run> RUNS = new LinkedHashMap<>();

    static {
        RUNS.put("RedisFaultsIT#appendfsyncAlways", () -> new RedisFaultsIT().appendfsyncAlways());
        RUNS.put("RedisFaultsIT#appendfsyncEverysec", () -> new RedisFaultsIT().appendfsyncEverysec());
        RUNS.put("RedisFaultsIT#rdbSnapshotsOnly", () -> new RedisFaultsIT().rdbSnapshotsOnly());
        RUNS.put("PostgresFaultsIT", () -> new PostgresFaultsIT().fencedSafetyAndTimelyLossNotice());
        RUNS.put("MariaDbFaultsIT", () -> new MariaDbFaultsIT().fencedSafetyAndTimelyLossNotice());
        RUNS.put("SqliteFaultsIT", () -> new SqliteFaultsIT().fencedSafetyAndTimelyLossNotice());
        RUNS.put("EtcdFaultsIT", () -> new EtcdFaultsIT().fencedSafetyAndTimelyLossNotice());
        RUNS.put("ZooKeeperFaultsIT", () -> new ZooKeeperFaultsIT().fencedSafetyAndTimelyLossNotice());
        RUNS.put("ClusterFaultsIT#etcdCluster", () -> new ClusterFaultsIT().etcdCluster());
        RUNS.put("ClusterFaultsIT#zookeeperEnsemble", () -> new ClusterFaultsIT().zookeeperEnsemble());
        RUNS.put("ClusterFaultsIT#redisSentinel", () -> new ClusterFaultsIT().redisSentinel());
        RUNS.put("ClusterFaultsIT#redisCluster", () -> new ClusterFaultsIT().redisCluster());
    }

    private LongTier() {
    }

    /** See the class comment. */
    public static void main(String[] args) {
        if (System.getProperty("robit.faults.tier") == null) {
            System.setProperty("robit.faults.tier", "long");
        }
        int failed = 0;
        String[] tests = args.length > 0 ? args : RUNS.keySet().stream().filter(t -> !t.startsWith("Cluster")).toArray(String[]::new);
        for (String test : tests) {
            Run run = RUNS.get(test);
            if (run == null) {
                throw new IllegalArgumentException("unknown run " + test + "; known: " + RUNS.keySet());
            }
            System.out.println("== " + java.time.Instant.now() + " " + test);
            try {
                run.run();
                System.out.println("== PASSED " + test);
            } catch (Exception | AssertionError e) {
                failed++;
                System.out.println("== FAILED " + test + ": " + e);
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
