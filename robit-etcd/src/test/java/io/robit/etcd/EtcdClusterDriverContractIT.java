package io.robit.etcd;

import io.etcd.jetcd.Client;
import io.robit.spi.Driver;
import io.robit.tck.DriverContract;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The driver contract against three etcd members (issue 14); a lease is broken by deleting its key. */
class EtcdClusterDriverContractIT extends DriverContract<String> {
    private static EtcdCluster cluster;
    private static Client admin;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = EtcdCluster.start();
        admin = Client.builder().endpoints(cluster.endpoint(0), cluster.endpoint(1), cluster.endpoint(2)).build();
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected Driver<String> newDriver() {
        return EtcdDriver.builder(cluster.uri()).build();
    }

    @Override
    protected String newLockId() {
        return "cluster-tck-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) throws Exception {
        admin.getKVClient().delete(EtcdTestSupport.key(id)).get(10, TimeUnit.SECONDS);
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("", "x".repeat(Keys.MAX_ID_BYTES + 1), "bad\uD800surrogate");
    }
}
