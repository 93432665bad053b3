package io.robit.etcd;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/**
 * The driver contract against three etcd members started for this class (issue 14). The mutex and
 * leader contracts run on the single server only: the driver code is the same, and each would add a
 * minute to CI.
 */
@DriverConformance.Contracts(DriverConformance.Contract.DRIVER)
class EtcdClusterConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() throws Exception {
        return EtcdFixture.cluster();
    }
}
