package io.robit.zookeeper;

import io.robit.spi.Driver;
import io.robit.tck.DriverContract;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The driver contract against a three-server ensemble of separate JVMs (issue 14). */
class ZooKeeperEnsembleDriverContractIT extends DriverContract<String> {
    private static ZooKeeperEnsemble ensemble;
    private static CuratorFramework admin;

    @BeforeAll
    static void startEnsemble() throws Exception {
        ensemble = ZooKeeperEnsemble.start();
        admin = ZooKeeperTestSupport.client(ensemble.connectString(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopEnsemble() {
        if (admin != null) {
            admin.close();
        }
        if (ensemble != null) {
            ensemble.close();
        }
    }

    @Override
    protected Driver<String> newDriver() {
        return ZooKeeperDriver.open("zookeeper://" + ensemble.connectString() + "?sessionTimeout=6s");
    }

    @Override
    protected String newLockId() {
        return "ensemble-tck-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) throws Exception {
        ZooKeeperTestSupport.deleteHolderNode(admin, id);
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("", "x".repeat(LockNames.MAX_ESCAPED_LENGTH + 1), "bad\uD800surrogate");
    }
}
