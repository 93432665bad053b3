package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.robit.DriverException;
import io.robit.spi.Lease;
import io.robit.testsupport.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, item 4: a Redis that restarts from an older snapshot (RDB, an AOF that lost its last
 * second, a replica behind its primary) restores an older fencing counter. The next token must
 * still exceed every token handed out before. A private redis-server with its own data directory,
 * killed with SIGKILL and restarted from its RDB file.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisTokenRestoreIT {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void tokensNeverRepeatOrGoBackAfterARestartFromAnOlderSnapshot() throws Exception {
        Path dir = Files.createTempDirectory("robit-redis-restore-");
        try (RedisServer redis = RedisServer.start("--dir", dir.toString(), "--dbfilename", "robit-restore.rdb")) {
            String id = "restore-" + System.nanoTime();
            List<Long> tokens = new ArrayList<>();
            try (RedisDriver driver = RedisDriver.open(redis.uri())) {
                for (int i = 0; i < 3; i++) {
                    Lease lease = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
                    tokens.add(lease.fencingToken());
                    driver.release(lease);
                }
                save(redis);
                Lease released = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
                tokens.add(released.fencingToken());
                driver.release(released);
                // The stale holder: still holds the lock (on the old server) when the server dies.
                Lease stale = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
                tokens.add(stale.fencingToken());
            }
            assertThat(tokens).as("tokens before the crash").isSorted().doesNotHaveDuplicates();

            redis.stop(); // SIGKILL: everything after the SAVE is lost
            redis.startAgain();

            try (RedisDriver driver = RedisDriver.open(redis.uri())) {
                Lease next = await("the restarted server answers").atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(DriverException.class)
                        .until(() -> driver.acquire(id, TTL, TIMEOUT), Optional::isPresent).orElseThrow();
                assertThat(driver.inspect(id).orElseThrow().fencingToken()).as("the counter stores the token back").isEqualTo(next.fencingToken());
                assertThat(next.fencingToken()).as("the first token after the restore, against every earlier one " + tokens)
                        .isGreaterThan(tokens.get(tokens.size() - 1));
                driver.release(next);
                Lease after = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
                assertThat(after.fencingToken()).isGreaterThan(next.fencingToken());
                driver.release(after);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static void save(RedisServer redis) {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().save()).isEqualTo("OK");
        } finally {
            client.shutdown();
        }
    }
}
