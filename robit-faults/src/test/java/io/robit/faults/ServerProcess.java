package io.robit.faults;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * A backend server process of the suite's own on free loopback ports (redis-server, etcd, a
 * ZooKeeper JVM), that the faults may pause, kill and restart on the same ports and data. Never one
 * of the shared servers on their usual ports.
 */
final class ServerProcess implements Backend.Server {
    private final String name;
    private final Path dir;
    private final int port;
    private final List<String> command;
    private final IntPredicate ready;
    private Process process;

    private ServerProcess(String name, Path dir, int port, List<String> command, IntPredicate ready) throws IOException {
        this.name = name;
        this.dir = dir;
        this.port = port;
        this.command = command;
        this.ready = ready;
        Files.createDirectories(dir);
        start();
    }

    /** redis-server with the given persistence (what survives a SIGKILL). */
    static ServerProcess redis(Path dir, RedisPersistence persistence) throws IOException {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--protected-mode", "no"));
        command.addAll(persistence.arguments());
        return new ServerProcess("redis-server", dir, port, command, ServerProcess::redisPing);
    }

    /** A single-member etcd cluster. */
    static ServerProcess etcd(Path dir) throws IOException {
        int port = freePort();
        int peerPort = freePort();
        String client = "http://127.0.0.1:" + port;
        String peer = "http://127.0.0.1:" + peerPort;
        String binary = System.getenv().getOrDefault("ETCD_BIN", "etcd");
        return new ServerProcess("etcd", dir, port, List.of(binary, "--name", "faults", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer, "--initial-cluster", "faults=" + peer, "--logger", "zap", "--log-level", "warn"),
                ServerProcess::etcdHealthy);
    }

    /** A standalone ZooKeeper in its own JVM, tick 500 ms (so sessions may be as short as 1 s), no admin server. */
    static ServerProcess zookeeper(Path dir, String java, String classPath) throws IOException {
        int port = freePort();
        Files.createDirectories(dir);
        Path config = dir.resolve("zoo.cfg");
        Files.writeString(config, String.join("\n", "tickTime=500", "dataDir=" + dir.resolve("data"), "clientPort=" + port,
                "clientPortAddress=127.0.0.1", "admin.enableServer=false", "4lw.commands.whitelist=ruok", ""));
        return new ServerProcess("zookeeper", dir, port, List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp", classPath,
                "org.apache.zookeeper.server.ZooKeeperServerMain", config.toString()), ServerProcess::zookeeperOk);
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
        process = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - deadline < 0) {
            if (ready.test(port)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IOException(name + " exited with " + process.exitValue() + "; see " + dir.resolve(name + ".log"));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting " + name, e);
            }
        }
        throw new IOException(name + " did not answer on 127.0.0.1:" + port + " within 30 s; see " + dir.resolve(name + ".log"));
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

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return String.join(File.pathSeparator, cp.split(File.pathSeparator));
    }

    private static boolean redisPing(int port) {
        return ask(port, "PING\r\n", "+PONG");
    }

    private static boolean zookeeperOk(int port) {
        return ask(port, "ruok", "imok");
    }

    private static boolean etcdHealthy(int port) {
        return ask(port, "GET /health HTTP/1.0\r\n\r\n", "HTTP/1.0 200");
    }

    private static boolean ask(int port, String request, String answerPrefix) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            socket.setSoTimeout(1000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            byte[] answer = socket.getInputStream().readNBytes(answerPrefix.length());
            return new String(answer, StandardCharsets.US_ASCII).startsWith(answerPrefix);
        } catch (IOException e) {
            return false;
        }
    }
}
