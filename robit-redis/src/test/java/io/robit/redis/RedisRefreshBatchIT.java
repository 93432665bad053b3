package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.Lease;
import io.robit.testsupport.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Refreshes due together share one script call, and each still gets its own answer. Own server, to count commands. */
class RedisRefreshBatchIT {

    @Test
    void concurrentRefreshesShareOneCallAndKeepTheirOwnAnswers() throws Exception {
        int locks = 20;
        try (RedisServer redis = RedisServer.start(); TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(redis.uri()))) {
            RedisClient client = RedisClient.create();
            ExecutorService pool = Executors.newFixedThreadPool(locks);
            try (RedisDriver driver = RedisDriver.builder(client, RedisURI.create("127.0.0.1", redis.port()))
                            .refreshBatchWindow(Duration.ofMillis(200)).build();
                    RedisDriver other = RedisDriver.open(redis.uri())) {
                List<Lease> leases = new ArrayList<>();
                for (int i = 0; i < locks; i++) {
                    leases.add(driver.acquire("batch-" + i, Duration.ofSeconds(30), Duration.ofSeconds(5)).orElseThrow());
                }
                admin.sync().del(driver.lockKey("batch-3"));
                admin.sync().del(driver.lockKey("batch-7"));
                Lease thief = other.acquire("batch-7", Duration.ofSeconds(30), Duration.ofSeconds(5)).orElseThrow();
                long before = evalshaCalls(admin);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<String>> outcomes = new ArrayList<>();
                for (Lease lease : leases) {
                    outcomes.add(pool.submit(() -> {
                        start.await();
                        try {
                            lease.refresh(Duration.ofSeconds(40), Duration.ofSeconds(10));
                            return "ok";
                        } catch (LockLostException e) {
                            return e.reason().name();
                        }
                    }));
                }
                start.countDown();
                List<String> results = new ArrayList<>();
                for (Future<String> outcome : outcomes) {
                    results.add(outcome.get(20, TimeUnit.SECONDS));
                }
                assertThat(evalshaCalls(admin) - before).as("script calls for %d refreshes", locks).isLessThanOrEqualTo(3);
                assertThat(results.get(3)).isEqualTo(LossReason.GONE.name());
                assertThat(results.get(7)).isEqualTo(LossReason.TAKEN_OVER.name());
                assertThat(results).filteredOn("ok"::equals).hasSize(locks - 2);
                assertThat(admin.sync().pttl(driver.lockKey("batch-0"))).isGreaterThan(Duration.ofSeconds(31).toMillis());
                assertThat(admin.sync().get(driver.lockKey("batch-7"))).as("the thief's key untouched")
                        .isNotEqualTo(admin.sync().get(driver.lockKey("batch-0")));
                assertThat(admin.sync().pttl(driver.lockKey("batch-7"))).isLessThanOrEqualTo(Duration.ofSeconds(30).toMillis());
                other.release(thief);
            } finally {
                pool.shutdownNow();
                client.shutdown();
            }
        }
    }

    private static long evalshaCalls(TestRedis.Admin admin) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("cmdstat_evalsha:calls=(\\d+)").matcher(admin.sync().info("commandstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
