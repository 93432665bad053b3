package io.robit.redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of a test's own, on a free loopback port, without persistence, for tests that
 * stop, restart or pause a server; never the shared one. Not thread-safe.
 */
final class RedisProcess implements AutoCloseable {
    private static final Duration STARTUP = Duration.ofSeconds(20);

    private final int port;
    private final String configFile;
    private final List<String> extraArgs;
    private Process process;

    private RedisProcess(int port, String configFile, List<String> extraArgs) {
        this.port = port;
        this.configFile = configFile;
        this.extraArgs = extraArgs;
    }

    /** Starts a new server on a free port; {@code %PORT%} in an extra argument stands for that port. */
    static RedisProcess start(String... extraArgs) throws IOException, InterruptedException {
        RedisProcess redis = new RedisProcess(freePort(), null, List.of(extraArgs));
        redis.startAgain();
        return redis;
    }

    /** Starts a new server on a free port from a config file (which Sentinel needs, and rewrites). */
    static RedisProcess startWith(String configFile, String... extraArgs) throws IOException, InterruptedException {
        RedisProcess redis = new RedisProcess(freePort(), configFile, List.of(extraArgs));
        redis.startAgain();
        return redis;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** (Re)starts the server on the same port, empty, and waits until it answers PING. */
    void startAgain() throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("redis-server"));
        if (configFile != null) {
            command.add(configFile);
        }
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", System.getProperty("java.io.tmpdir")));
        for (String arg : extraArgs) {
            command.add(arg.replace("%PORT%", Integer.toString(port)));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(new File("/dev/null"))).start();
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (!answersPing()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("redis-server on port " + port + " did not start (alive: " + process.isAlive() + ")");
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /** Kills the server (its data is gone) and waits until it is dead. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            resume();
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Thaws a paused server (SIGCONT). */
    void resume() throws InterruptedException {
        try {
            signal("CONT");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int read = in.read(reply);
            return read > 0 && new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
