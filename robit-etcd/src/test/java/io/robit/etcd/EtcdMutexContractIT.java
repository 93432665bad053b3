package io.robit.etcd;

import io.robit.spi.Driver;
import io.robit.tck.MutexContract;
import java.util.List;

/** The Mutex semantics over a real etcd; breaking a lease = revoking the etcd lease the key is bound to. */
class EtcdMutexContractIT extends MutexContract<String> {
    @Override
    protected Driver<String> newDriver() {
        return EtcdTestSupport.newDriver();
    }

    @Override
    protected String newLockId() {
        return EtcdTestSupport.newLockId("mutex-contract");
    }

    @Override
    protected void breakLease(String id) throws Exception {
        EtcdTestSupport.revokeLeaseOf(id);
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("", "x".repeat(Keys.MAX_ID_BYTES + 1));
    }
}
