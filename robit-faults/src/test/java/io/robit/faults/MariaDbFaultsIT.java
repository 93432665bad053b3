package io.robit.faults;

import org.junit.jupiter.api.Test;

/**
 * Fault run on the shared MariaDB (127.0.0.1:3306, database test, user root) used as a plain client:
 * proxy faults and worker pauses and kills; the server itself is never touched.
 */
class MariaDbFaultsIT {
    @Test
    void fencedSafetyAndTimelyLossNotice() throws Exception {
        FaultRun.Config config = FaultSuite.config();
        var dir = FaultSuite.runDir("mariadb", config);
        FaultSuite.runAndCheck(Backend.sqlServer("mariadb", "mariadb", Integer.getInteger("robit.mariadb.port", 3306), "root"), config, dir);
    }
}
