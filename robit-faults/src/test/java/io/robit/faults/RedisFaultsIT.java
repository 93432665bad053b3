package io.robit.faults;

import org.junit.jupiter.api.Test;

/** Fault run on a redis-server of the suite's own: proxy faults, worker and server pauses and kills. */
class RedisFaultsIT {
    @Test
    void fencedSafetyAndTimelyLossNotice() throws Exception {
        FaultRun.Config config = FaultSuite.config();
        var dir = FaultSuite.runDir("redis", config);
        FaultSuite.runAndCheck(Backend.redis(dir), config, dir);
    }
}
