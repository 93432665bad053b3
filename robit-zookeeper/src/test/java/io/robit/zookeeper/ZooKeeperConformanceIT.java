package io.robit.zookeeper;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/** Every contract of the kit over an in-process ZooKeeper, cut off through a proxy where a contract needs it. */
class ZooKeeperConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return ZooKeeperFixture.shared();
    }
}
