package io.robit.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A standalone ZooKeeper server in a JVM of its own ({@code ZooKeeperServerMain} from the ZooKeeper
 * jar on this test's class path), on a free loopback port, with a short tick (500 ms, so sessions may
 * be as short as 1 s) and no admin server; killed, paused and restarted on the same port and data as
 * a test needs. Not thread-safe.
 */
public final class ZooKeeperServer implements AutoCloseable {
    private static final Duration STARTUP = Duration.ofSeconds(60); // a JVM; slow to start on a loaded machine

    private final int port;
    private final ServerProcess process;

    private ZooKeeperServer(int port, ServerProcess process) {
        this.port = port;
        this.process = process;
    }

    /** Starts a server whose data, config and log live in {@code dir}; {@code java} and {@code classPath} run it. */
    public static ZooKeeperServer start(Path dir, String java, String classPath) throws IOException {
        int port = Ports.free();
        Files.createDirectories(dir);
        Path config = dir.resolve("zoo.cfg");
        Files.writeString(config, String.join("\n", "tickTime=500", "dataDir=" + dir.resolve("data"), "clientPort=" + port,
                "clientPortAddress=127.0.0.1", "admin.enableServer=false", "4lw.commands.whitelist=ruok", ""));
        List<String> command = List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp", classPath,
                "org.apache.zookeeper.server.ZooKeeperServerMain", config.toString());
        return new ZooKeeperServer(port, ServerProcess.start("zookeeper", command, dir.resolve("zookeeper.log"), STARTUP,
                () -> Probes.zookeeperOk(port)));
    }

    /** Like {@link #start(Path, String, String)} with this JVM's java and class path. */
    public static ZooKeeperServer start(Path dir) throws IOException {
        return start(dir, ServerProcess.java(), ServerProcess.testClassPath());
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}. */
    public String connectString() {
        return "127.0.0.1:" + port;
    }

    /** The process, to kill, pause and start again. */
    public ServerProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
