package io.robit.redis;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/**
 * The driver contract over the three-master Redis Cluster of this JVM ({@link RedisFixture#sharedCluster()}).
 * The mutex and leader contracts run on the standalone server only: they add nothing the driver
 * contract does not check of the cluster's key placement, and each would add a minute to CI.
 */
@DriverConformance.Contracts(DriverConformance.Contract.DRIVER)
class RedisClusterConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return RedisFixture.cluster();
    }
}
