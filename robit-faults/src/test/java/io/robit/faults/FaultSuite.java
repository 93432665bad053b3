package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The two tiers of a fault run, chosen with {@code -Drobit.faults.tier=ci|long}: {@code ci} (the
 * default) runs about a minute per backend and fails the build on any violation; {@code long} runs
 * {@code -Drobit.faults.seconds} (default 600) per backend. {@code -Drobit.faults.seed} fixes the
 * seed (default 1 in ci, the clock in long). Results go to {@code target/faults/}.
 */
final class FaultSuite {
    private FaultSuite() {
    }

    static boolean longTier() {
        return "long".equals(System.getProperty("robit.faults.tier", "ci"));
    }

    static FaultRun.Config config() {
        return config(1000);
    }

    /** The configured run, with a ttl of {@code defaultTtlMs} unless {@code -Drobit.faults.ttlMs} says otherwise. */
    static FaultRun.Config config(long defaultTtlMs) {
        boolean long_ = longTier();
        long seed = Long.getLong("robit.faults.seed", long_ ? System.currentTimeMillis() : 1L);
        Duration ttl = Duration.ofMillis(Long.getLong("robit.faults.ttlMs", defaultTtlMs));
        Duration run = Duration.ofSeconds(Long.getLong("robit.faults.seconds", long_ ? 600L : 40L));
        int workers = Integer.getInteger("robit.faults.workers", long_ ? 5 : 4);
        return new FaultRun.Config(seed, workers, ttl, run, Duration.ofMillis(Long.getLong("robit.faults.gapMs", ttl.toMillis() * 3 / 2)), 1_000_000L, 0.1, false);
    }

    /** Runs {@code backend} under the configured tier, writes the report, and fails on any violation. */
    static Checker.Report runAndCheck(Backend backend, FaultRun.Config config, Path dir) throws Exception {
        Checker.Report report = run(backend, config, dir);
        assertThat(report.violations()).as(report.summary()).isEmpty();
        assertThat(report.holds()).as("the run made progress: " + report.summary()).isGreaterThanOrEqualTo(5);
        return report;
    }

    /** Runs {@code backend}, closes it, and writes the report to {@code dir} and a row to results.md. */
    static Checker.Report run(Backend backend, FaultRun.Config config, Path dir) throws Exception {
        Checker.Report report;
        try (backend) {
            report = new FaultRun(backend, config, dir).run();
        }
        String summary = report.summary();
        System.out.println(summary);
        Files.writeString(dir.resolve("report.txt"), summary, StandardCharsets.UTF_8);
        Files.writeString(dir.getParent().resolve("results.md"), row(report) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return report;
    }

    /** A fresh directory for one run's histories and server data: {@code target/faults/BACKEND-SEED}. */
    static Path runDir(String backend, FaultRun.Config config) throws IOException {
        Path dir = Path.of("target", "faults", backend + "-" + config.seed()).toAbsolutePath();
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        Files.createDirectories(dir);
        return dir;
    }

    /** One row of the results table in docs/reliability.md. */
    static String row(Checker.Report r) {
        return String.format("| %s | %s | %d | %d×%d ms | %.0f s | %d | %d | %d | %d / %d | %d | %d | %d | %d | %d (%.0f ms) | %d (%.0f ms) | %d | %d | %.0f / %.0f ms | %d |",
                r.backend(), Instant.now().toString().substring(0, 16), r.config().seed(), r.config().workers(), r.config().ttl().toMillis(),
                r.seconds(), r.faults(), r.holds(), r.fencedAccepted(), r.fencedRefused(), r.deposedAccepted(), r.staleAccepted(), r.shadowOutOfOrder(),
                r.tokenRegressions(), r.deadlineOverruns(), r.overlaps(), r.overlapMaxMs(), r.excusedOverlaps(), r.excusedMaxMs(),
                r.lateNotices(), r.orphaned() ? 1 : 0, r.takeoverPercentile(50), r.takeoverPercentile(99), r.violations().size());
    }
}
