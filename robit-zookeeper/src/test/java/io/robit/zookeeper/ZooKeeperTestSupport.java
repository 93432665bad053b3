package io.robit.zookeeper;

import static org.awaitility.Awaitility.await;

import io.robit.testsupport.ZooKeeperTestServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * The in-process ZooKeeper the tests run against ({@link ZooKeeperTestServer}), and tools to break
 * things on it. Tests that stop or restart a server start their own with {@link #newServer()}; the
 * others share {@link #shared()}.
 */
final class ZooKeeperTestSupport {
    /** Tick of test servers: sessions may be negotiated between 2 and 20 ticks (0.4 s to 4 s). */
    static final int TICK_MS = ZooKeeperTestServer.TICK_MS;
    /** Where the driver keeps its lock nodes by default. */
    static final String BASE_PATH = "/robit/locks";

    private ZooKeeperTestSupport() {
    }

    /** The server shared by the tests of this JVM: started on first use, stopped when the JVM exits. */
    static TestingServer shared() {
        return ZooKeeperTestServer.shared();
    }

    /** A new server on a free loopback port, with a short tick so sessions can be short. The caller closes it. */
    static TestingServer newServer() {
        return newServer(TICK_MS);
    }

    /** A new server whose sessions may last from 2 to 20 ticks of {@code tickMs}. The caller closes it. */
    static TestingServer newServer(int tickMs) {
        return ZooKeeperTestServer.start(tickMs);
    }

    /** A started client, connected, with the given session timeout. The caller closes it. */
    static CuratorFramework client(String connectString, Duration sessionTimeout) {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                .connectionTimeoutMs(5_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 3))
                .build();
        client.start();
        try {
            if (!client.blockUntilConnected(10, TimeUnit.SECONDS)) {
                client.close();
                throw new IllegalStateException("no connection to " + connectString);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            throw new IllegalStateException(e);
        }
        return client;
    }

    /** The contender nodes under {@code id}'s lock node, lowest first (none if the lock node is gone). */
    static List<String> contenders(CuratorFramework admin, String id) throws Exception {
        try {
            return LockNames.contenders(admin.getChildren().forPath(BASE_PATH + "/" + LockNames.escape(id)));
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    /** Deletes the holder's node of {@code id} from {@code admin}'s own session, as an operator would. */
    static void deleteHolderNode(CuratorFramework admin, String id) throws Exception {
        List<String> nodes = contenders(admin, id);
        if (nodes.isEmpty()) {
            throw new IllegalStateException("lock '" + id + "' has no holder to break");
        }
        admin.delete().forPath(BASE_PATH + "/" + LockNames.escape(id) + "/" + nodes.get(0));
    }

    /**
     * Expires {@code victim}'s session on the server, as a long partition would: a second handle
     * joins the same session and closes it, so the server drops the session and its ephemeral
     * nodes at once, and the victim hears "expired" when it next talks to the server.
     */
    static void expireSession(CuratorFramework victim, String connectString) throws Exception {
        ZooKeeper handle = victim.getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        Watcher watcher = event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        };
        ZooKeeper twin = new ZooKeeper(connectString, handle.getSessionTimeout(), watcher, handle.getSessionId(), handle.getSessionPasswd());
        try {
            if (!connected.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the twin handle did not connect");
            }
        } finally {
            twin.close();
        }
    }

    /** Waits until {@code id} has exactly {@code count} contender nodes. */
    static void awaitContenders(CuratorFramework admin, String id, int count) {
        await("lock '" + id + "' has " + count + " contender node(s)").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> contenders(admin, id).size() == count);
    }
}
