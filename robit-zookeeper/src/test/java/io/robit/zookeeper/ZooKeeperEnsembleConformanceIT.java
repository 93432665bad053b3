package io.robit.zookeeper;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/**
 * The driver contract against a three-server ensemble of separate JVMs started for this class
 * (issue 14). The mutex and leader contracts run on the single server only: the driver code is the
 * same, and each would add a minute to CI.
 */
@DriverConformance.Contracts(DriverConformance.Contract.DRIVER)
class ZooKeeperEnsembleConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() throws Exception {
        return ZooKeeperFixture.ensemble();
    }
}
