package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the shaded {@code robit.jar} as a real process, with its own SQLite file and state
 * directory under {@code dir}, and captures its stdout and stderr to files there.
 */
final class Cli {
    static final Path JAR = Path.of(System.getProperty("robit.jar", "target/robit.jar")).toAbsolutePath();
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    /** Whether this JVM was started with SIGINT ignored (Linux; elsewhere assumed not). */
    private static final boolean IGNORES_SIGINT = (signalMask(ProcessHandle.current().pid(), "SigIgn") & (1L << 1)) != 0;

    private final Path dir;
    private final AtomicInteger count = new AtomicInteger();
    private final List<Process> started = new ArrayList<>();

    Cli(Path dir) {
        assertThat(JAR).as("the shaded jar (built by mvn package before the *IT tests)").exists();
        this.dir = dir;
    }

    /** The backend every process of this test uses. */
    String backend() {
        return "sqlite:" + dir.resolve("locks.db");
    }

    Path dir() {
        return dir;
    }

    /** Starts {@code robit ARGS...}; ROBIT_BACKEND points at this test's SQLite file. */
    Run start(String... args) {
        return start(true, args);
    }

    /** Starts {@code robit ARGS...} like {@link #start(String...)}, with {@code env} applied to its environment. */
    Run startWith(Map<String, String> env, String... args) {
        return start(true, List.of(), env, args);
    }

    /** Runs {@code robit ARGS...} to its end without ROBIT_BACKEND: the default backend applies. */
    Run runWithoutBackend(String... args) {
        Run run = start(false, args);
        run.awaitExit(Duration.ofSeconds(60));
        return run;
    }

    private Run start(boolean withBackend, String... args) {
        return start(withBackend, List.of(), Map.of(), args);
    }

    /**
     * Runs {@code robit ARGS...} to its end without ROBIT_BACKEND, with extra JVM options and with
     * {@code env} applied to the environment (a null value removes the variable).
     */
    Run runWith(List<String> jvmOptions, Map<String, String> env, String... args) {
        Run run = start(false, jvmOptions, env, args);
        run.awaitExit(Duration.ofSeconds(60));
        return run;
    }

    private Run start(boolean withBackend, List<String> jvmOptions, Map<String, String> env, String... args) {
        int n = count.incrementAndGet();
        List<String> command = new ArrayList<>();
        if (IGNORES_SIGINT) {
            // Run robit as a shell runs a foreground command. A JVM started in the background without
            // job control (`java ... &` from a script) has SIGINT ignored (bash and ./mvnw put it back for
            // the commands they start; a direct launch does not); robit would inherit that, and an
            // ignored signal can be neither caught by robit nor trapped by CMD (robit keeps it
            // ignored, as POSIX programs do). The SIGINT tests would then wait for an exit that cannot come.
            command.addAll(List.of("env", "--default-signal=INT"));
        }
        command.addAll(List.of(JAVA.toString(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("out-" + n).toFile())
                .redirectError(dir.resolve("err-" + n).toFile());
        if (withBackend) {
            builder.environment().put("ROBIT_BACKEND", backend());
        } else {
            builder.environment().remove("ROBIT_BACKEND");
        }
        builder.environment().put("XDG_STATE_HOME", dir.resolve("state").toString());
        env.forEach((key, value) -> {
            if (value == null) {
                builder.environment().remove(key);
            } else {
                builder.environment().put(key, value);
            }
        });
        try {
            Process process = builder.start();
            started.add(process);
            return new Run(process, dir.resolve("out-" + n), dir.resolve("err-" + n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code robit ARGS...} to its end (at most 60 s). */
    Run run(String... args) {
        Run run = start(args);
        run.awaitExit(Duration.ofSeconds(60));
        return run;
    }

    /** Kills whatever is still running, children included. */
    void killAll() {
        for (Process process : started) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** A signal mask line of /proc/PID/status ({@code SigIgn}, {@code SigCgt}); 0 where there is none. */
    static long signalMask(long pid, String line) {
        try {
            for (String entry : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (entry.startsWith(line + ":")) {
                    return Long.parseUnsignedLong(entry.substring(line.length() + 1).strip(), 16);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return 0;
    }

    /** One robit process. */
    record Run(Process process, Path outFile, Path errFile) {
        int awaitExit(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    String diagnosis = diagnose();
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new AssertionError("robit (pid " + process.pid() + ") did not exit within " + timeout + "; stderr: " + err()
                            + "\n" + diagnosis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            return process.exitValue();
        }

        int exitCode() {
            return awaitExit(Duration.ofSeconds(60));
        }

        /** What a hung robit was doing: its signal dispositions, the processes under it, its threads. */
        private String diagnose() {
            StringBuilder text = new StringBuilder();
            text.append("signals ignored/caught (hex masks, bit N-1 = signal N): ")
                    .append(Long.toHexString(signalMask(process.pid(), "SigIgn"))).append('/')
                    .append(Long.toHexString(signalMask(process.pid(), "SigCgt"))).append('\n');
            text.append("still running under it: ").append(process.descendants()
                    .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList()).append('\n');
            Path dump = errFile.resolveSibling("threads-" + process.pid());
            try {
                Process jcmd = new ProcessBuilder(JCMD.toString(), Long.toString(process.pid()), "Thread.print")
                        .redirectErrorStream(true).redirectOutput(dump.toFile()).start();
                if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
                    jcmd.destroyForcibly();
                }
                text.append("threads:\n").append(read(dump));
            } catch (IOException e) {
                text.append("no thread dump: ").append(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return text.toString();
        }

        String out() {
            return read(outFile);
        }

        String err() {
            return read(errFile);
        }

        private static String read(Path file) {
            try {
                return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
