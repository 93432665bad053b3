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

    /**
     * The configured run, with a ttl of {@code defaultTtlMs} unless {@code -Drobit.faults.ttlMs} says
     * otherwise. CI: 4 processes x 3 threads on 4 names, 20 s of faults, one every ~1.5 ttl. Long:
     * 5 processes x 8 threads on 32 names, one hold in 40 long, {@code -Drobit.faults.seconds} (default 300)
     * with a fault every ~{@code -Drobit.faults.gapMs} (default 400 ms; faults on different targets overlap).
     */
    static FaultRun.Config config(long defaultTtlMs) {
        boolean long_ = longTier();
        long seed = Long.getLong("robit.faults.seed", long_ ? System.currentTimeMillis() : 1L);
        Duration ttl = Duration.ofMillis(Long.getLong("robit.faults.ttlMs", defaultTtlMs));
        Duration run = Duration.ofSeconds(Long.getLong("robit.faults.seconds", long_ ? 300L : 20L));
        int workers = Integer.getInteger("robit.faults.workers", long_ ? 5 : 4);
        int threads = Integer.getInteger("robit.faults.threads", long_ ? 8 : 3);
        int names = Integer.getInteger("robit.faults.names", long_ ? 32 : 4);
        Duration gap = Duration.ofMillis(Long.getLong("robit.faults.gapMs", long_ ? 400 : ttl.toMillis() * 3 / 2));
        boolean clockJumps = Files.exists(Path.of(FaultRun.FAKETIME_LIBRARY)) && !Boolean.getBoolean("robit.faults.noClockJumps");
        return new FaultRun.Config(seed, workers, threads, names, ttl, run, gap, long_ ? 0.001 : 0.03, long_ ? 40 : 4, Broken.NONE, false,
                clockJumps);
    }

    /** Runs {@code backend} under the configured tier, writes the report, and fails on any violation. */
    static Report runAndCheck(Backend backend, FaultRun.Config config, Path dir) throws Exception {
        Report report = run(backend, config, dir);
        assertThat(report.violations()).as(report.summary()).isEmpty();
        assertThat(report.holds()).as("the run made progress: " + report.summary()).isGreaterThanOrEqualTo(5);
        return report;
    }

    /** Runs {@code backend}, closes it, and writes the report to {@code dir} and a row to results.md. */
    static Report run(Backend backend, FaultRun.Config config, Path dir) throws Exception {
        Report report;
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

    /** One row of target/faults/results.md: the columns of the table in docs/reliability.md. */
    static String row(Report r) {
        return String.format("| %s | %s | %d | %dx%d on %d names, ttl %d ms | %.0f s | %d | %d | %d / %d / %d / %d | %d / %d / %d | %d | %d / %d | %d / %d | %.0f / %.0f ms | %d |",
                r.backend(), Instant.now().toString().substring(0, 16), r.config().seed(), r.config().workers(), r.config().threads(),
                r.config().names(), r.config().ttl().toMillis(), r.seconds(), r.faults(), r.holds(), r.count("tokenRegressions"),
                r.count("duplicateTokens"), r.count("staleAccepted"), r.count("refusedWithoutDeposer"), r.count("overrunsCertain"),
                r.count("overrunsPossible"), r.count("overrunsForgotten"), r.count("lateNotices"), r.count("lateExcusedStopped"),
                r.count("lateExcusedStalled"), r.count("fencedAccepted"), r.count("fencedRefused"), r.takeoverPercentile(50),
                r.takeoverPercentile(99), r.violations().size());
    }
}
