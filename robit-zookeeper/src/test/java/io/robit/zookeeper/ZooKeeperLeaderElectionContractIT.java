package io.robit.zookeeper;

import io.robit.spi.Driver;
import io.robit.tck.LeaderElectionContract;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Leader election and asynchronous locking over an in-process ZooKeeper; the leader is cut off through a proxy. */
class ZooKeeperLeaderElectionContractIT extends LeaderElectionContract<String> {
    private static CuratorFramework admin;

    @BeforeAll
    static void connectAdmin() {
        admin = ZooKeeperTestSupport.client(ZooKeeperTestSupport.shared().getConnectString(), Duration.ofSeconds(4));
    }

    @AfterAll
    static void closeAdmin() {
        admin.close();
    }

    @Override
    protected Driver<String> newDriver() {
        return ZooKeeperDriver.open("zookeeper://" + ZooKeeperTestSupport.shared().getConnectString() + "?sessionTimeout=4s");
    }

    @Override
    protected Optional<InetSocketAddress> serverAddress() {
        return Optional.of(new InetSocketAddress("127.0.0.1", ZooKeeperTestSupport.shared().getPort()));
    }

    @Override
    protected Driver<String> newDriverVia(InetSocketAddress address) {
        return ZooKeeperDriver.open("zookeeper://" + address.getHostString() + ":" + address.getPort() + "?sessionTimeout=4s");
    }

    @Override
    protected String newLockId() {
        return "leader-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) throws Exception {
        ZooKeeperTestSupport.deleteHolderNode(admin, id);
    }
}
