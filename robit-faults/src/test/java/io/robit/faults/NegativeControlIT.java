package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The suite can fail: the same run on Redis with a deliberately broken driver (it asks the server
 * for half the ttl and tells the core it got all of it) must be caught as deadline overruns, with
 * blackholes and holder pauses as the only faults. Proves the recording and the checkers end to end.
 */
class NegativeControlIT {
    @Test
    void aDriverThatOverstatesItsLeaseIsCaught() throws Exception {
        FaultRun.Config base = FaultSuite.config();
        FaultRun.Config config = new FaultRun.Config(base.seed(), 3, base.ttl(), Duration.ofSeconds(20), Duration.ofMillis(1200),
                base.maxCyclesPerWorker(), 0, true);
        var dir = FaultSuite.runDir("negative-control", config);
        Backend redis = Backend.redis(dir);
        Backend stallsOnly = new Backend() {
            @Override
            public String name() {
                return "negative-control (redis, driver halves the ttl)";
            }

            @Override
            public OptionalInt port() {
                return redis.port();
            }

            @Override
            public String uri(int port) {
                return redis.uri(port);
            }

            @Override
            public Optional<Server> server() {
                return redis.server();
            }

            @Override
            public Set<Fault.Kind> faults() {
                return EnumSet.of(Fault.Kind.STALL_BOTH, Fault.Kind.PAUSE_WORKER);
            }
        };
        Checker.Report report = FaultSuite.run(stallsOnly, config, dir);
        assertThat(report.deadlineOverruns()).as(report.summary()).isPositive();
    }
}
