package io.robit.faults;

import org.junit.jupiter.api.Test;

/**
 * Fault run on the shared PostgreSQL (127.0.0.1:5432, database test, user postgres) used as a plain
 * client: proxy faults and worker pauses and kills; the server itself is never touched.
 */
class PostgresFaultsIT {
    @Test
    void fencedSafetyAndTimelyLossNotice() throws Exception {
        FaultRun.Config config = FaultSuite.config();
        var dir = FaultSuite.runDir("postgresql", config);
        FaultSuite.runAndCheck(Backend.sqlServer("postgresql", "postgresql", Integer.getInteger("robit.pg.port", 5432), "postgres"), config, dir);
    }
}
