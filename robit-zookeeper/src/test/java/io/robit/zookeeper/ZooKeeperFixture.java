package io.robit.zookeeper;

import io.robit.spi.Driver;
import io.robit.spi.LeaseSession;
import io.robit.testsupport.ZooKeeperEnsemble;
import io.robit.tck.DriverFixture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;

/**
 * The ZooKeeper backends of the conformance kit: the in-process server the tests of this JVM share
 * (reached through a proxy for the outage and partition contracts), and a three-server ensemble of
 * separate JVMs of the fixture's own. A lease is broken by deleting the holder's node from an admin
 * session. Thread-safe.
 */
final class ZooKeeperFixture implements DriverFixture<String> {
    private final String connectString;
    private final String sessionTimeout;
    private final CuratorFramework admin;
    private final ZooKeeperEnsemble ensemble; // null: the shared in-process server

    private ZooKeeperFixture(String connectString, String sessionTimeout, CuratorFramework admin, ZooKeeperEnsemble ensemble) {
        this.connectString = connectString;
        this.sessionTimeout = sessionTimeout;
        this.admin = admin;
        this.ensemble = ensemble;
    }

    /** The shared in-process server (see {@link ZooKeeperTestSupport#shared()}); 4 s sessions. */
    static ZooKeeperFixture shared() {
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        return new ZooKeeperFixture(connect, "4s", ZooKeeperTestSupport.client(connect, Duration.ofSeconds(4)), null);
    }

    /** Three servers of the fixture's own (issue 14), stopped on close; 6 s sessions. */
    static ZooKeeperFixture ensemble() throws Exception {
        ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start();
        try {
            return new ZooKeeperFixture(ensemble.connectString(), "6s", ZooKeeperTestSupport.client(ensemble.connectString(), Duration.ofSeconds(10)),
                    ensemble);
        } catch (RuntimeException e) {
            ensemble.close();
            throw e;
        }
    }

    @Override
    public Driver<String> newDriver() {
        return ZooKeeperDriver.open("zookeeper://" + connectString + "?sessionTimeout=" + sessionTimeout);
    }

    @Override
    public Optional<InetSocketAddress> serverAddress() {
        return ensemble != null ? Optional.empty() : Optional.of(new InetSocketAddress("127.0.0.1", ZooKeeperTestSupport.shared().getPort()));
    }

    @Override
    public Driver<String> newDriverVia(InetSocketAddress address) {
        return ZooKeeperDriver.open("zookeeper://" + address.getHostString() + ":" + address.getPort() + "?sessionTimeout=" + sessionTimeout);
    }

    @Override
    public String newLockId() {
        return "conformance-" + UUID.randomUUID();
    }

    @Override
    public void breakLease(String id) throws Exception {
        ZooKeeperTestSupport.deleteHolderNode(admin, id);
    }

    /** Expires the session on the server, as a partition longer than the session timeout would. */
    @Override
    public void endSession(LeaseSession session) throws Exception {
        ZooKeeperSession ours = (ZooKeeperSession) session;
        long current = ours.client().getZookeeperClient().getZooKeeper().getSessionId();
        if (current != ours.sessionId()) {
            throw new IllegalStateException("session 0x" + Long.toHexString(ours.sessionId()) + " has already been replaced");
        }
        ZooKeeperTestSupport.expireSession(ours.client(), connectString);
    }

    @Override
    public List<String> invalidIds() {
        return ensemble == null
                ? List.of("", "x".repeat(LockNames.MAX_ESCAPED_LENGTH + 1), "\u00e9".repeat(100), "bad\uD800surrogate")
                : List.of("", "x".repeat(LockNames.MAX_ESCAPED_LENGTH + 1), "bad\uD800surrogate");
    }

    @Override
    public void close() {
        admin.close();
        if (ensemble != null) {
            ensemble.close();
        }
    }
}
