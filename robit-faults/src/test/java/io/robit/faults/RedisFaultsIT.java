package io.robit.faults;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Fault runs on a redis-server of the suite's own, once per persistence mode: proxy faults, worker
 * and server pauses and kills. With {@code everysec} and RDB a server kill may forget a held lock;
 * tokens must still grow, and the holder must be told (those overruns are reported apart, see
 * {@link Checker}). In the CI tier the two lossy modes run 12 s each.
 */
class RedisFaultsIT {
    @Test
    void appendfsyncAlways() throws Exception {
        run(RedisPersistence.ALWAYS);
    }

    @Test
    void appendfsyncEverysec() throws Exception {
        run(RedisPersistence.EVERYSEC);
    }

    @Test
    void rdbSnapshotsOnly() throws Exception {
        run(RedisPersistence.RDB);
    }

    private static void run(RedisPersistence persistence) throws Exception {
        FaultRun.Config config = FaultSuite.config().withCrashLosesWrites(persistence.losesWritesOnCrash());
        if (!FaultSuite.longTier() && persistence != RedisPersistence.ALWAYS && System.getProperty("robit.faults.seconds") == null) {
            config = config.withRun(Duration.ofSeconds(12), config.faultGap());
        }
        var dir = FaultSuite.runDir("redis-" + persistence.name().toLowerCase(java.util.Locale.ROOT), config);
        FaultSuite.runAndCheck(Backend.redis(FaultSuite.serverDir(dir), persistence), config, dir);
    }
}
