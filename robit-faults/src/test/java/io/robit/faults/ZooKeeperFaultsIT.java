package io.robit.faults;

import org.junit.jupiter.api.Test;

/**
 * Fault run on a standalone ZooKeeper JVM of the suite's own (tick 500 ms): proxy faults, worker and
 * server pauses and kills. ttl 2 s, and the workers ask for a 2 s session, so ttl ≤ session timeout.
 */
class ZooKeeperFaultsIT {
    @Test
    void fencedSafetyAndTimelyLossNotice() throws Exception {
        FaultRun.Config config = FaultSuite.config(2000);
        var dir = FaultSuite.runDir("zookeeper", config);
        FaultSuite.runAndCheck(Backend.zookeeper(FaultSuite.serverDir(dir), FaultRun.javaBinary()), config, dir);
    }
}
