package io.robit.faults;

import org.junit.jupiter.api.Test;

/** Fault run on a SQLite file shared by the worker JVMs: worker pauses and kills. */
class SqliteFaultsIT {
    @Test
    void fencedSafetyAndTimelyLossNotice() throws Exception {
        FaultRun.Config config = FaultSuite.config();
        var dir = FaultSuite.runDir("sqlite", config);
        FaultSuite.runAndCheck(Backend.sqlite(FaultSuite.serverDir(dir)), config, dir);
    }
}
