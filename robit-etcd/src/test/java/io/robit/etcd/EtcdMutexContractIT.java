package io.robit.etcd;

import io.robit.spi.Driver;
import io.robit.tck.MutexContract;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/** The Mutex semantics over a real etcd; breaking a lease = revoking the etcd lease the key is bound to. */
class EtcdMutexContractIT extends MutexContract<String> {
    @Override
    protected Driver<String> newDriver() {
        return EtcdTestSupport.newDriver();
    }

    @Override
    protected Optional<InetSocketAddress> serverAddress() {
        return Optional.of(new InetSocketAddress("127.0.0.1", EtcdTestSupport.server().clientPort()));
    }

    @Override
    protected Driver<String> newDriverVia(InetSocketAddress address) {
        return EtcdDriver.builder("etcd://" + address.getHostString() + ":" + address.getPort()).build();
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
