package io.robit.etcd;

import io.robit.spi.Driver;
import io.robit.tck.DriverContract;
import java.util.List;

/** The driver contract against a real etcd; breaking a lease = another client deleting the key. */
class EtcdDriverContractIT extends DriverContract<String> {
    @Override
    protected Driver<String> newDriver() {
        return EtcdTestSupport.newDriver();
    }

    @Override
    protected String newLockId() {
        return EtcdTestSupport.newLockId("driver-contract");
    }

    @Override
    protected void breakLease(String id) throws Exception {
        EtcdTestSupport.deleteKey(id);
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("", "x".repeat(Keys.MAX_ID_BYTES + 1), "\u00e9".repeat(Keys.MAX_ID_BYTES / 2 + 1), "bad\uD800surrogate");
    }
}
