package io.robit.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * One server process of a test's own: started from a fixed command with its output appended to a
 * log, ready when its probe says so, and then paused, resumed, killed and started again (on the same
 * ports and data) as a test needs. Stops only its own process. Not thread-safe.
 */
public final class ServerProcess implements AutoCloseable {
    // How long a STOP or CONT may take to reach every thread of the process.
    private static final Duration SIGNAL_TAKES_EFFECT = Duration.ofSeconds(10);

    private final String name;
    private final List<String> command;
    private final Path log;
    private final Duration startup;
    private final BooleanSupplier ready;
    private Process process;

    private ServerProcess(String name, List<String> command, Path log, Duration startup, BooleanSupplier ready) {
        this.name = name;
        this.command = List.copyOf(command);
        this.log = log;
        this.startup = startup;
        this.ready = ready;
    }

    /**
     * Starts {@code command} and waits up to {@code startup} until {@code ready} (e.g. a
     * {@link Probes} call) answers true. {@code log} receives the output of every run.
     */
    public static ServerProcess start(String name, List<String> command, Path log, Duration startup, BooleanSupplier ready) throws IOException {
        ServerProcess server = new ServerProcess(name, command, log, startup, ready);
        server.start();
        return server;
    }

    /** Starts the process again (after {@link #kill()}) and waits until it is ready. */
    public void start() throws IOException {
        if (isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + startup.toNanos();
        while (!ready.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with " + process.exitValue() + "; see " + log);
            }
            if (System.nanoTime() - deadline > 0) {
                kill();
                throw new IOException(name + " was not ready within " + startup + "; see " + log);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                kill();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting " + name, e);
            }
        }
    }

    /** How many times a server whose port was taken before it bound it is started again on new ports. */
    static final int PORT_ATTEMPTS = 3;

    /**
     * Whether the log of a start that failed says a port was in use: {@link Ports#free()} found it free,
     * then another process (often a client connection's local port) took it before the server bound it.
     */
    static boolean portTaken(Path log) {
        try {
            return Files.readString(log).toLowerCase(java.util.Locale.ROOT).contains("address already in use");
        } catch (IOException e) {
            return false;
        }
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    /** Where the process's output goes. */
    public Path log() {
        return log;
    }

    /** SIGKILL (its data stays, as after a crash), and waits until it is gone. */
    public void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Freezes the process (SIGSTOP): its connections stay open, nothing is answered. */
    public void pause() {
        signal("STOP");
    }

    /** Thaws a paused process (SIGCONT). */
    public void resume() {
        signal("CONT");
    }

    private void signal(String signal) {
        signal(name, pid(), signal);
    }

    /**
     * Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to process {@code pid}, one of the test's
     * own. For {@code STOP} and {@code CONT} it returns only once every thread of the process has
     * stopped, or none is stopped any more: {@code kill} returns when the signal is queued, and on a
     * loaded host the process may go on answering for a while after that (a server "paused" that
     * way once answered an etcd keep-alive the test expected to go unanswered).
     */
    static void signal(String name, long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
            if (signal.equals("STOP") || signal.equals("CONT")) {
                awaitStopped(name, pid, signal.equals("STOP"));
            }
        } catch (IOException e) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + signal + " to " + name, e);
        }
    }

    private static void awaitStopped(String name, long pid, boolean stopped) throws IOException, InterruptedException {
        if (!Files.isDirectory(Path.of("/proc/self/task"))) {
            return; // no procfs: nothing to check against
        }
        long deadline = System.nanoTime() + SIGNAL_TAKES_EFFECT.toNanos();
        while (isStopped(pid) != stopped) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(name + " (pid " + pid + ") was " + (stopped ? "not stopped" : "still stopped")
                        + " " + SIGNAL_TAKES_EFFECT.toSeconds() + " s after the signal");
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    /**
     * Whether every thread of process {@code pid} is stopped (state {@code T} or {@code t} in
     * {@code /proc/PID/task/TID/stat}); false for a process that has ended. Linux only.
     */
    public static boolean isStopped(long pid) throws IOException {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        List<Path> threads;
        try (Stream<Path> listing = Files.list(tasks)) {
            threads = listing.toList();
        } catch (NoSuchFileException e) {
            return false;
        }
        boolean any = false;
        for (Path thread : threads) {
            String stat;
            try {
                stat = Files.readString(thread.resolve("stat"));
            } catch (NoSuchFileException e) {
                continue; // the thread ended meanwhile
            }
            // "tid (comm) S ...": the command may hold spaces and parentheses, the state follows the last ')'.
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            if (state != 'T' && state != 't') {
                return false;
            }
            any = true;
        }
        return any;
    }

    /** Kills the process (a paused one too). */
    @Override
    public void close() {
        kill();
    }

    /** The path of a java binary for a server JVM: this JVM's own. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The class path of this test JVM (Surefire's when it uses a manifest-only jar), for a server JVM. */
    public static String testClassPath() {
        String path = System.getProperty("surefire.test.class.path");
        return path == null || path.isBlank() ? System.getProperty("java.class.path") : path;
    }
}
