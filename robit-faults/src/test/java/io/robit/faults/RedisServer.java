package io.robit.faults;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server process of the suite's own on a free loopback port, with an append-only file
 * fsynced on every write (so the fencing counter survives a SIGKILL, as a production lock server's
 * must), that the faults may pause, kill and restart. Never the shared server on 6379.
 */
final class RedisServer implements Backend.Server {
    private final Path dir;
    private final int port;
    private final boolean persistent;
    private Process process;

    RedisServer(Path dir, boolean persistent) throws IOException {
        this.dir = dir;
        this.persistent = persistent;
        this.port = freePort();
        start();
    }

    int port() {
        return port;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public void start() throws IOException {
        List<String> command = persistent
                ? List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                        "--appendfsync", "always", "--dir", dir.toString(), "--protected-mode", "no")
                : List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", dir.toString(), "--protected-mode", "no");
        dir.toFile().mkdirs();
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() - deadline < 0) {
            if (ping()) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting redis-server", e);
            }
        }
        throw new IOException("redis-server did not answer on 127.0.0.1:" + port + " within 20 s; see " + dir.resolve("redis.log"));
    }

    @Override
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        Signals.send("CONT", process.pid());
        kill();
    }

    private boolean ping() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            socket.setSoTimeout(500);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] answer = new byte[7];
            int n = socket.getInputStream().read(answer);
            return n > 0 && new String(answer, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
