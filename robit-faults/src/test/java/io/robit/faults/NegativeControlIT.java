package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The suite can fail, end to end: the same pipeline (worker processes, proxy, oracle, checker) on
 * Redis with a deliberately broken driver, one per promise (see {@link Broken}), must fail its
 * run on the check that carries that promise. Each asserts the intended check fired and that the
 * run was otherwise made (holds happened).
 */
class NegativeControlIT {
    private static final Duration RUN = Duration.ofSeconds(Long.getLong("robit.faults.controlSeconds", 12));

    @Test
    void aDriverThatOverstatesItsLeaseIsCaughtAsDeadlineOverruns() throws Exception {
        Report report = run(Broken.HALVE_TTL, EnumSet.of(Fault.Kind.PAUSE_WORKER), 1, 1);
        assertThat(report.count("overrunsCertain")).as(report.summary()).isPositive();
        assertThat(report.violations()).anyMatch(v -> v.startsWith("DEADLINE OVERRUN (certain)"));
    }

    @Test
    void aDriverThatReusesOrLowersTokensIsCaughtByTheTokenChecks() throws Exception {
        Report report = run(Broken.REUSE_TOKENS, EnumSet.of(Fault.Kind.PAUSE_WORKER), 3, 4);
        assertThat(report.count("tokenRegressions") + report.count("duplicateTokens")).as(report.summary()).isPositive();
        assertThat(report.count("staleAccepted") + report.count("refusedWithoutDeposer")).as(report.summary()).isPositive();
    }

    @Test
    void aDriverWhoseOwnContentionReusesTokensIsCaughtByTheTokenChecks() throws Exception {
        // Its plain acquire is correct: this run fails only because waiting calls run the driver's own contention.
        Report report = run(Broken.CONTENTION_REUSES_TOKENS, EnumSet.of(Fault.Kind.PAUSE_WORKER), 2, 4);
        assertThat(report.count("tokenRegressions") + report.count("duplicateTokens")).as(report.summary()).isPositive();
        assertThat(report.violations()).anyMatch(v -> v.startsWith("TOKEN REGRESSION") || v.startsWith("DUPLICATE TOKEN"));
    }

    @Test
    void aDriverThatNeverReportsLossWithADelayedCoreNoticeIsCaughtAsLateNotices() throws Exception {
        // No pauses at all: every late notice it makes is one of a running holder, which nothing excuses.
        Report report = run(Broken.HIDE_LOSS, EnumSet.of(Fault.Kind.RESET), 1, 1);
        assertThat(report.count("lateNotices")).as(report.summary()).isPositive();
        assertThat(report.violations()).anyMatch(v -> v.startsWith("LATE NOTICE"));
    }

    @Test
    void aBusyTimerThreadIsCaughtAsLateNoticesNotExcusedAsStarvation() throws Exception {
        // The timer thread runs (spins) past deadlines: its schedstat shows it running, which excuses nothing.
        // Twice the usual run: a late notice needs a long hold whose deadline passes in a spin, and the spinning slows the host.
        Report report = run(Broken.BUSY_TIMER, EnumSet.of(Fault.Kind.RESET), 1, 1, RUN.multipliedBy(2));
        assertThat(report.count("lateNotices")).as(report.summary()).isPositive();
        assertThat(report.violations()).anyMatch(v -> v.startsWith("LATE NOTICE") && v.contains("ran ") && v.contains("ms for a CPU"));
    }

    @Test
    void aDriverThatReleasesSomeoneElsesLockIsCaughtAsDeadlineOverruns() throws Exception {
        Report report = run(Broken.RELEASE_OTHERS, EnumSet.of(Fault.Kind.PAUSE_WORKER), 1, 4);
        assertThat(report.count("overrunsCertain")).as(report.summary()).isPositive();
        assertThat(report.count("tokenRegressions") + report.count("duplicateTokens")).as("tokens still grow: " + report.summary()).isZero();
    }

    /**
     * One control run: 3 processes x 3 threads on {@code names} names (one name keeps a rival waiting
     * at every moment), one hold in {@code longHoldEvery} long enough to be renewed.
     */
    private static Report run(Broken broken, Set<Fault.Kind> kinds, int names, int longHoldEvery) throws Exception {
        return run(broken, kinds, names, longHoldEvery, RUN);
    }

    private static Report run(Broken broken, Set<Fault.Kind> kinds, int names, int longHoldEvery, Duration runFor) throws Exception {
        FaultRun.Config base = FaultSuite.config();
        FaultRun.Config config = base.withBroken(broken).withShape(3, 3, names).withRun(runFor, Duration.ofMillis(1200)).withPauseBeforeWrite(0)
                .withLongHoldEvery(longHoldEvery);
        var dir = FaultSuite.runDir("negative-" + broken.name().toLowerCase(java.util.Locale.ROOT), config);
        Backend redis = Backend.redis(FaultSuite.serverDir(dir), RedisPersistence.ALWAYS);
        Backend limited = new Backend() {
            @Override
            public String name() {
                return "negative control " + broken + " (redis)";
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
            public String inspect(String name) {
                return redis.inspect(name);
            }

            @Override
            public Set<Fault.Kind> faults() {
                return kinds;
            }
        };
        Report report = FaultSuite.run(limited, config, dir);
        // Progress, not throughput: a hold per worker process. The intended check's firing is the test;
        // at load 80+ one 12 s run made 7 holds and still caught its fault.
        assertThat(report.holds()).as("the run made progress: " + report.summary()).isGreaterThanOrEqualTo(3);
        return report;
    }
}
