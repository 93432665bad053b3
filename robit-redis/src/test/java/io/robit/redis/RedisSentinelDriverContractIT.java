package io.robit.redis;

import io.lettuce.core.RedisClient;
import io.robit.spi.Driver;
import io.robit.tck.DriverContract;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The driver contract through three Sentinels to a master with a replica (issue 14): every grant
 * and renewal here waits for the replica's acknowledgement (the default).
 */
class RedisSentinelDriverContractIT extends DriverContract<String> {
    private static RedisSentinelGroup group;
    private static TestRedis.Admin admin;

    @BeforeAll
    static void startGroup() throws Exception {
        group = RedisSentinelGroup.start();
        admin = new TestRedis.Admin(RedisClient.create(group.master().uri()));
    }

    @AfterAll
    static void stopGroup() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (group != null) {
            group.close();
        }
    }

    @Override
    protected Driver<String> newDriver() {
        return RedisDriver.open(group.uri());
    }

    @Override
    protected String newLockId() {
        return "sentinel-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) {
        admin.sync().del("robit:{" + id + "}");
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("", "x".repeat(RedisDriver.MAX_ID_BYTES + 1));
    }
}
