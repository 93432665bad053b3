package io.robit.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One server process of a test's own: started from a fixed command with its output appended to a
 * log, ready when its probe says so, and then paused, resumed, killed and started again (on the same
 * ports and data) as a test needs. Stops only its own process. Not thread-safe.
 */
public final class ServerProcess implements AutoCloseable {
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

    /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to process {@code pid}, one of the test's own. */
    static void signal(String name, long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + signal + " to " + name, e);
        }
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
