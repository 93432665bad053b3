package io.robit.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server (or Sentinel) of a test's own on a free loopback port, for tests that stop,
 * restart or pause a server; never the shared one. Not thread-safe.
 */
public final class RedisServer implements AutoCloseable {
    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final int port;
    private final ServerProcess process;

    private RedisServer(int port, ServerProcess process) {
        this.port = port;
        this.process = process;
    }

    /** A server without persistence; {@code %PORT%} in an extra argument stands for its port. */
    public static RedisServer start(String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--save", "", "--appendonly", "no"));
        args.addAll(List.of(extraArgs));
        return start(null, Files.createTempDirectory("robit-redis-"), args);
    }

    /** A server from a config file (which Sentinel needs, and rewrites), without persistence. */
    public static RedisServer startWith(String configFile, String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--save", "", "--appendonly", "no"));
        args.addAll(List.of(extraArgs));
        return start(configFile, Files.createTempDirectory("robit-redis-"), args);
    }

    /**
     * A server whose data lives in {@code dir} with the given arguments (e.g. the persistence a
     * crash test needs), so that a restart after {@link #stop()} finds what was saved.
     */
    public static RedisServer startIn(Path dir, List<String> args) throws IOException {
        Files.createDirectories(dir);
        return start(null, dir, args);
    }

    private static RedisServer start(String configFile, Path dir, List<String> args) throws IOException {
        for (int attempt = 1; ; attempt++) {
            int port = Ports.free();
            try {
                return start(configFile, dir, args, port);
            } catch (IOException e) {
                if (attempt >= ServerProcess.PORT_ATTEMPTS || !ServerProcess.portTaken(log(dir, port))) {
                    throw e;
                }
            }
        }
    }

    private static Path log(Path dir, int port) {
        return dir.resolve("redis-" + port + ".log");
    }

    private static RedisServer start(String configFile, Path dir, List<String> args, int port) throws IOException {
        List<String> command = new ArrayList<>(List.of(Installed.binary("redis-server", "redis-server", null)));
        if (configFile != null) {
            command.add(configFile);
        }
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--daemonize", "no", "--dir", dir.toString()));
        for (String arg : args) {
            command.add(arg.replace("%PORT%", Integer.toString(port)));
        }
        return new RedisServer(port, ServerProcess.start("redis-server", command, log(dir, port), STARTUP,
                () -> Probes.redisPing(port)));
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:port}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** The process, to kill, pause and start again. */
    public ServerProcess process() {
        return process;
    }

    /** Starts the server again on the same port and directory (empty unless it persisted), and waits until it answers PING. */
    public void startAgain() throws IOException {
        process.start();
    }

    /** Kills the server (SIGKILL; only what it persisted survives) and waits until it is dead. */
    public void stop() {
        process.kill();
    }

    /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
    public void pause() {
        process.pause();
    }

    /** Thaws a paused server (SIGCONT). */
    public void resume() {
        process.resume();
    }

    /** Runs {@code redis-cli} against this server; returns what it printed. */
    public String cli(String... command) throws IOException, InterruptedException {
        return cli(port, List.of(command));
    }

    /** Runs {@code redis-cli} against {@code port}; returns what it printed. */
    public static String cli(int port, List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of(Installed.binary("redis-cli", "redis-tools", null), "-h", "127.0.0.1", "-p", Integer.toString(port)));
        full.addAll(command);
        Process cli = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(cli.getInputStream().readAllBytes());
        if (!cli.waitFor(10, TimeUnit.SECONDS)) {
            cli.destroyForcibly();
        }
        return out;
    }

    @Override
    public void close() {
        process.close();
    }
}
