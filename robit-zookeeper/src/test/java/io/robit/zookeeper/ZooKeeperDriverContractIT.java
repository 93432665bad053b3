package io.robit.zookeeper;

import io.robit.spi.Driver;
import io.robit.tck.DriverContract;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The driver contract against an in-process ZooKeeper; a lease is broken by deleting its node from another session. */
class ZooKeeperDriverContractIT extends DriverContract<String> {
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
    protected String newLockId() {
        return "tck-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) throws Exception {
        ZooKeeperTestSupport.deleteHolderNode(admin, id);
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("", "x".repeat(LockNames.MAX_ESCAPED_LENGTH + 1), "é".repeat(100), "bad\uD800surrogate");
    }
}
