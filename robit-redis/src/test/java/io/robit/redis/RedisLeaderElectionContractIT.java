package io.robit.redis;

import io.robit.spi.Driver;
import io.robit.tck.LeaderElectionContract;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/** Leader election and asynchronous locking over Redis on 127.0.0.1:6379; the leader is cut off through a proxy. */
class RedisLeaderElectionContractIT extends LeaderElectionContract<String> {

    @Override
    protected Driver<String> newDriver() {
        return RedisDriver.open(TestRedis.uri());
    }

    @Override
    protected Optional<InetSocketAddress> serverAddress() {
        return Optional.of(new InetSocketAddress(TestRedis.HOST, TestRedis.PORT));
    }

    @Override
    protected Driver<String> newDriverVia(InetSocketAddress address) {
        return RedisDriver.open("redis://" + address.getHostString() + ":" + address.getPort() + "?keyPrefix=" + TestRedis.PREFIX);
    }

    @Override
    protected String newLockId() {
        return "leader-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) {
        try (TestRedis.Admin admin = TestRedis.admin()) {
            admin.sync().del(TestRedis.PREFIX + "{" + id + "}");
        }
    }

    @AfterAll
    static void removeTestKeys() {
        try (TestRedis.Admin admin = TestRedis.admin()) {
            admin.deleteKeys(TestRedis.PREFIX + "{leader-");
        }
    }
}
