package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link RedisDriver#inspect} and {@link RedisDriver#list} report what Redis holds. */
class RedisInspectIT {

    @Test
    void inspectAndListShowHolderTokenAndExpiry() throws Exception {
        String prefix = "robit-it-inspect-" + UUID.randomUUID() + ":";
        RedisClient client = RedisClient.create();
        try (RedisDriver driver = RedisDriver.builder(client, TestRedis.redisUri()).keyPrefix(prefix).build();
                TestRedis.Admin admin = TestRedis.admin()) {
            try {
                assertThat(driver.inspect("never-used")).isEmpty();
                Lease first = driver.acquire("b-lock", Duration.ofSeconds(30), Duration.ofSeconds(5)).orElseThrow();
                driver.release(first);
                Lease held = driver.acquire("b-lock", Duration.ofSeconds(30), Duration.ofSeconds(5)).orElseThrow();
                Lease other = driver.acquire("a-lock", Duration.ofSeconds(30), Duration.ofSeconds(5)).orElseThrow();
                driver.release(other);

                LockInfo info = driver.inspect("b-lock").orElseThrow();
                assertThat(info.held()).isTrue();
                assertThat(info.fencingToken()).isEqualTo(held.fencingToken()).isGreaterThan(first.fencingToken());
                assertThat(info.owner()).contains(admin.sync().get(driver.lockKey("b-lock")));
                assertThat(info.expiresIn()).hasValueSatisfying(left -> assertThat(left).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(30)));

                LockInfo free = driver.inspect("a-lock").orElseThrow();
                assertThat(free.held()).isFalse();
                assertThat(free.fencingToken()).isEqualTo(other.fencingToken());
                assertThat(free.expiresIn()).isEmpty();

                assertThat(driver.list()).extracting(LockInfo::name).containsExactly("a-lock", "b-lock");
                driver.release(held);
            } finally {
                admin.deleteKeys(prefix);
            }
        } finally {
            client.shutdown();
        }
    }
}
