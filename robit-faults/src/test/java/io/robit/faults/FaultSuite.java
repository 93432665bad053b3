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
        LoadAverage load = LoadAverage.start();
        try (backend) {
            report = new FaultRun(backend, config, dir).run().withLoad(load.stop());
        } finally {
            keepLogsAndDelete(serverDir(dir), dir.resolve("server"));
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

    /**
     * Where the servers of the run in {@code runDir} keep their data (Redis AOF/RDB, etcd's WAL,
     * ZooKeeper's log, the SQLite file): tmpfs, {@code /dev/shm} (or {@code -Drobit.faults.serverRoot}),
     * when there is one, because on this host's shared disk every fsync waits behind the other builds
     * (Redis {@code appendfsync always} made about one acquisition a second there). A SIGKILL of the
     * server still loses exactly what the persistence mode does not keep: the page cache survives a
     * process crash on any file system. The same path for the same run directory within one JVM.
     */
    static Path serverDir(Path runDir) throws IOException {
        Path root = Path.of(System.getProperty("robit.faults.serverRoot", "/dev/shm"));
        if (!Files.isDirectory(root) || !Files.isWritable(root)) {
            return runDir.resolve("server");
        }
        Path dir = root.resolve("robit-faults-" + ProcessHandle.current().pid() + "-" + runDir.getFileName());
        Files.createDirectories(dir);
        return dir;
    }

    // The server logs go to the run's directory (with the histories); the data on tmpfs is deleted.
    private static void keepLogsAndDelete(Path serverDir, Path logs) throws IOException {
        if (!Files.exists(serverDir) || serverDir.equals(logs)) {
            return;
        }
        try (Stream<Path> files = Files.walk(serverDir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isRegularFile(file) && file.getFileName().toString().endsWith(".log")) {
                    Files.createDirectories(logs);
                    Files.copy(file, logs.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                Files.delete(file);
            }
        }
    }

    /**
     * One row of target/faults/results.md: backend, date, seed, shape, seconds, faults, holds, promise-1
     * counts, overruns certain/possible/forgotten, late notices, excused stopped/stalled/safepoint/starved, fenced
     * accepted/refused, takeover p50/p99, violations, load average mean/max.
     */
    static String row(Report r) {
        return String.format("| %s | %s | %d | %dx%d on %d names, ttl %d ms | %.0f s | %d | %d | %d / %d / %d / %d | %d / %d / %d | %d | %d / %d / %d / %d | %d / %d | %.0f / %.0f ms | %d | %.0f / %.0f |",
                r.backend(), Instant.now().toString().substring(0, 16), r.config().seed(), r.config().workers(), r.config().threads(),
                r.config().names(), r.config().ttl().toMillis(), r.seconds(), r.faults(), r.holds(), r.count("tokenRegressions"),
                r.count("duplicateTokens"), r.count("staleAccepted"), r.count("refusedWithoutDeposer"), r.count("overrunsCertain"),
                r.count("overrunsPossible"), r.count("overrunsForgotten"), r.count("lateNotices"), r.count("lateExcusedStopped"),
                r.count("lateExcusedStalled"), r.count("lateExcusedSafepoint"), r.count("lateExcusedStarved"), r.count("fencedAccepted"), r.count("fencedRefused"), r.takeoverPercentile(50),
                r.takeoverPercentile(99), r.violations().size(), r.load().mean(), r.load().max());
    }
}
