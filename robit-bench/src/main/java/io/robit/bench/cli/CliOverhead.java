package io.robit.bench.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * What the {@code robit} command costs, as real processes: the wall time of
 * {@code robit run -- true} per backend (JVM start, opening the backend, acquire, spawn, release)
 * against {@code robit --version} (JVM start alone), and the hand-over latency between two
 * {@code robit run} processes: from the moment the holder's command exits to the moment the
 * waiting process's command starts (release, wake-up of the waiter, acquire, spawn).
 *
 * <p>Run (after {@code ./mvnw -q -B -pl robit-cli,robit-bench -am -DskipTests package}):
 * <pre>java -cp robit-bench/target/benchmarks.jar io.robit.bench.cli.CliOverhead robit-cli/target/robit.jar 15 \
 *     sqlite:/tmp/robit-bench.db redis://127.0.0.1:6379 postgresql://postgres@127.0.0.1/test?createTable=true</pre>
 * Arguments: the shaded jar, the number of runs per measurement, then backend URIs. Prints a
 * Markdown table of medians and 90th percentiles. A plain harness, not JMH: each sample is a new
 * JVM, milliseconds apart.
 */
public final class CliOverhead {
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    private CliOverhead() {
    }

    /**
     * @param args the shaded jar, runs per measurement, backend URIs
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: CliOverhead ROBIT_JAR RUNS BACKEND_URI...");
            System.exit(64);
        }
        Path jar = Path.of(args[0]).toAbsolutePath();
        int runs = Integer.parseInt(args[1]);
        Path dir = Files.createTempDirectory("robit-cli-bench-");
        System.out.println("| Measurement | Backend | Median | p90 | Runs |");
        System.out.println("|---|---|---|---|---|");
        row("`robit --version` (JVM start)", "—", times(runs, () -> timed(command(jar, "--version"), dir)), runs);
        for (String uri : Arrays.copyOfRange(args, 2, args.length)) {
            String name = "bench-" + UUID.randomUUID();
            row("`robit run -- true`", scheme(uri), times(runs, () -> timed(command(jar, "run", "-q", "-b", uri, "-n", name, "--", "true"), dir)), runs);
            row("hand-over between two `robit run`", scheme(uri), times(runs, () -> handover(jar, uri, name, dir)), runs);
        }
    }

    private interface Sample {
        double millis() throws Exception;
    }

    private static double[] times(int runs, Sample sample) throws Exception {
        sample.millis(); // warm the page cache and the backend
        double[] millis = new double[runs];
        for (int i = 0; i < runs; i++) {
            millis[i] = sample.millis();
        }
        Arrays.sort(millis);
        return millis;
    }

    private static double timed(List<String> command, Path dir) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("failed: " + command);
        }
        return (System.nanoTime() - start) / 1e6;
    }

    /** The holder's command writes its end time and exits; the waiter's command writes its start time. */
    private static double handover(Path jar, String uri, String name, Path dir) throws Exception {
        Path go = dir.resolve("go");
        Path end = dir.resolve("end");
        Path start = dir.resolve("start");
        Files.deleteIfExists(go);
        Files.deleteIfExists(end);
        Files.deleteIfExists(start);
        Process holder = new ProcessBuilder(command(jar, "run", "-q", "-b", uri, "-n", name, "--", "sh", "-c",
                "touch held; while [ ! -f go ]; do sleep 0.01; done; date +%s%N > end"))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        waitFor(dir.resolve("held"));
        Process waiter = new ProcessBuilder(command(jar, "run", "-q", "-b", uri, "-n", name, "--", "sh", "-c", "date +%s%N > start"))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Thread.sleep(1500); // the waiter's JVM is up and waiting
        Files.createFile(go);
        if (!holder.waitFor(60, TimeUnit.SECONDS) || !waiter.waitFor(60, TimeUnit.SECONDS)) {
            holder.destroyForcibly();
            waiter.destroyForcibly();
            throw new IllegalStateException("hand-over did not finish on " + uri);
        }
        Files.deleteIfExists(dir.resolve("held"));
        long ended = Long.parseLong(Files.readString(end).strip());
        long started = Long.parseLong(Files.readString(start).strip());
        return (started - ended) / 1e6;
    }

    private static void waitFor(Path file) throws InterruptedException {
        for (int i = 0; i < 6000 && !Files.exists(file); i++) {
            Thread.sleep(10);
        }
    }

    private static List<String> command(Path jar, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA.toString(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static String scheme(String uri) {
        return uri.substring(0, uri.indexOf(':'));
    }

    private static void row(String what, String backend, double[] millis, int runs) {
        System.out.printf(Locale.ROOT, "| %s | %s | %.0f ms | %.0f ms | %d |%n", what, backend, millis[millis.length / 2],
                millis[(int) Math.ceil(millis.length * 0.9) - 1], runs);
    }
}
