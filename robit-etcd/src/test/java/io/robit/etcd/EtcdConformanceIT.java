package io.robit.etcd;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/** Every contract of the kit over a real etcd, cut off through a proxy where a contract needs it. */
@DriverConformance.FairWaiting // waiters queue (issue 18 item 4)
class EtcdConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return EtcdFixture.shared();
    }
}
