package io.robit.faults;

import org.junit.jupiter.api.Test;

/**
 * Fault run on a single-member etcd of the suite's own: proxy faults, worker and server pauses and
 * kills. ttl 2 s: etcd leases count whole seconds and have a minimum.
 */
class EtcdFaultsIT {
    @Test
    void fencedSafetyAndTimelyLossNotice() throws Exception {
        FaultRun.Config config = FaultSuite.config(2000);
        var dir = FaultSuite.runDir("etcd", config);
        FaultSuite.runAndCheck(Backend.etcd(FaultSuite.serverDir(dir)), config, dir);
    }
}
