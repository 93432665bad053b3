package io.robit.redis;

import io.robit.spi.Driver;
import io.robit.tck.MutexContract;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/** The Redis driver keeps the Mutex semantics against the real redis-server on 127.0.0.1:6379. */
class RedisMutexContractIT extends MutexContract<String> {

    @Override
    protected Driver<String> newDriver() {
        return RedisDriver.open(TestRedis.uri()); // own client and connections: a separate "process"
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
        return "mutex-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) {
        try (TestRedis.Admin admin = TestRedis.admin()) {
            admin.sync().del(TestRedis.PREFIX + "{" + id + "}");
        }
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("", "x".repeat(RedisDriver.MAX_ID_BYTES + 1), "\u00e9".repeat(RedisDriver.MAX_ID_BYTES / 2 + 1), "bad\uD800surrogate");
    }

    @AfterAll
    static void removeTestKeys() {
        try (TestRedis.Admin admin = TestRedis.admin()) {
            admin.deleteKeys(TestRedis.PREFIX + "{mutex-");
        }
    }
}
