package io.robit.zookeeper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.zookeeper.server.DataNode;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A standalone ZooKeeper server started in-process from its own classes, so that a test can reach
 * its data tree: e.g. move a node's child counter to just before it wraps, which two billion
 * creates would take otherwise. The caller closes it.
 */
final class DirectServer implements AutoCloseable {
    private final Path dir;
    private final ZooKeeperServer server;
    private final ServerCnxnFactory factory;

    DirectServer() {
        try {
            dir = Files.createTempDirectory("robit-zk-direct");
            server = new ZooKeeperServer(dir.toFile(), dir.toFile(), ZooKeeperTestSupport.TICK_MS);
            factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 100);
            factory.startup(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String connectString() {
        return "127.0.0.1:" + factory.getLocalPort();
    }

    /** Sets the counter from which ZooKeeper numbers the next sequential child of {@code path}. */
    void setNextSequence(String path, int next) {
        DataNode node = server.getZKDatabase().getDataTree().getNode(path);
        if (node == null) {
            throw new IllegalStateException("no node " + path);
        }
        synchronized (node) {
            node.stat.setCversion(next);
        }
    }

    @Override
    public void close() throws IOException {
        factory.shutdown();
        server.shutdown();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
    }
}
