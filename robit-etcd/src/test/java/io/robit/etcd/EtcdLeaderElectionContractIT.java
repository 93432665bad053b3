package io.robit.etcd;

import io.robit.spi.Driver;
import io.robit.tck.LeaderElectionContract;
import java.net.InetSocketAddress;
import java.util.Optional;

/** Leader election and asynchronous locking over a real etcd; the leader is cut off through a proxy. */
class EtcdLeaderElectionContractIT extends LeaderElectionContract<String> {
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
        return EtcdTestSupport.newLockId("leader-contract");
    }

    @Override
    protected void breakLease(String id) throws Exception {
        EtcdTestSupport.revokeLeaseOf(id);
    }
}
