package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import io.robit.testsupport.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Waiting for a lock: the release notification over one shared pub/sub connection, the timed wake
 * at the holder's TTL when no message comes, and no polling in between. Each test has its own
 * redis-server so connections and commands can be counted exactly.
 */
class RedisWaitIT {
    private static final Pattern CALLS = Pattern.compile("cmdstat_(\\w+):calls=(\\d+)");

    private RedisServer redis;
    private TestRedis.Admin admin;
    private ExecutorService pool;

    @BeforeEach
    void startServer() throws Exception {
        redis = RedisServer.start();
        admin = new TestRedis.Admin(RedisClient.create(redis.uri()));
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stopServer() throws Exception {
        pool.shutdownNow();
        admin.close();
        redis.close();
    }

    @Test
    void allWaitersOfADriverShareOnePubSubConnection() throws Exception {
        try (RedisDriver holder = RedisDriver.open(redis.uri()); RedisDriver waiters = RedisDriver.open(redis.uri())) {
            List<Lease> leases = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                leases.add(holder.acquire("shared-" + i, Duration.ofSeconds(60), Duration.ofSeconds(5)).orElseThrow());
            }
            List<Future<Long>> tokens = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Mutex<String> mutex = Mutex.of("shared-" + t % 4, Duration.ofSeconds(60), waiters);
                tokens.add(pool.submit(() -> {
                    try (Held held = mutex.lock()) {
                        return held.fencingToken();
                    }
                }));
            }
            await("every lock has a subscriber").atMost(Duration.ofSeconds(20))
                    .until(() -> admin.sync().pubsubChannels("robit:{shared-*").size(), n -> n == 4);
            assertThat(pubSubClients()).as("one subscription connection for 8 waiters on 4 locks").isEqualTo(1);
            for (Lease lease : leases) {
                holder.release(lease);
            }
            for (Future<Long> token : tokens) {
                assertThat(token.get(20, TimeUnit.SECONDS)).isPositive();
            }
            assertThat(pubSubClients()).isEqualTo(1);
        }
    }

    @Test
    void waiterWakesWhenTheHoldersTtlRunsOutWithoutPolling() throws Exception {
        try (RedisDriver holder = RedisDriver.open(redis.uri()); RedisDriver waiter = RedisDriver.open(redis.uri())) {
            Duration ttl = Duration.ofSeconds(3);
            holder.acquire("abandoned", ttl, Duration.ofSeconds(5)).orElseThrow(); // never refreshed nor released: no message will come
            long acquired = System.nanoTime();
            Mutex<String> mutex = Mutex.of("abandoned", Duration.ofSeconds(30), waiter);
            Map<String, Long> before = commandCalls();
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(30));
            long waited = System.nanoTime() - acquired;
            Map<String, Long> after = commandCalls();
            assertThat(held).as("taken once the abandoned key expired").isPresent();
            assertThat(Duration.ofNanos(waited)).isLessThan(ttl.plusSeconds(5));
            long attempts = delta(before, after, "evalsha") + delta(before, after, "eval");
            assertThat(attempts).as("acquire attempts while waiting %s for a %s TTL", Duration.ofNanos(waited), ttl).isLessThanOrEqualTo(6);
            mutex.unlock();
        }
    }

    @Test
    void handoffIsPromptAndTheWaiterSendsNothingWhileItWaits() throws Exception {
        try (RedisDriver holder = RedisDriver.open(redis.uri()); RedisDriver waiter = RedisDriver.open(redis.uri())) {
            Mutex<String> first = Mutex.of("handoff", Duration.ofSeconds(60), holder);
            Mutex<String> second = Mutex.of("handoff", Duration.ofSeconds(60), waiter);
            first.lock();
            Future<Long> gotAt = pool.submit(() -> {
                second.lock();
                return System.nanoTime();
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> admin.sync().pubsubNumsub(holder.lockKey("handoff") + ":released")
                    .values().stream().mapToLong(Long::longValue).sum() == 1);
            Map<String, Long> before = commandCalls();
            TimeUnit.MILLISECONDS.sleep(1500); // idle: nothing should be sent (renewals at ttl/3 = 20 s are not due)
            Map<String, Long> after = commandCalls();
            assertThat(delta(before, after, "evalsha") + delta(before, after, "pttl"))
                    .as("commands sent by a waiter in 1.5 s").isZero();
            long released = System.nanoTime();
            first.unlock();
            long handoff = gotAt.get(20, TimeUnit.SECONDS) - released;
            assertThat(Duration.ofNanos(handoff)).as("release to next holder").isLessThan(Duration.ofSeconds(3));
            second.unlock();
        }
    }

    @Test
    void waitersSurviveALostPubSubConnection() throws Exception {
        try (RedisDriver holder = RedisDriver.open(redis.uri()); RedisDriver waiter = RedisDriver.open(redis.uri())) {
            Mutex<String> first = Mutex.of("resubscribe", Duration.ofSeconds(60), holder);
            Mutex<String> second = Mutex.of("resubscribe", Duration.ofSeconds(60), waiter);
            long firstToken = first.lock().fencingToken();
            Future<Long> token = pool.submit(() -> second.lock().fencingToken());
            String channel = holder.lockKey("resubscribe") + ":released";
            await().atMost(Duration.ofSeconds(20)).until(() -> admin.sync().pubsubNumsub(channel).get(channel) == 1);
            admin.sync().clientKill(io.lettuce.core.KillArgs.Builder.typePubsub());
            // Lettuce reconnects and subscribes again; the release after that wakes the waiter.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> admin.sync().pubsubNumsub(channel).get(channel) == 1 && pubSubClients() == 1);
            first.unlock();
            assertThat(token.get(5, TimeUnit.SECONDS)).isGreaterThan(firstToken);
            second.unlock();
        }
    }

    @Test
    void aContentionWaitsOnAnotherThreadWithWhatItsFailedAttemptLearned() throws Exception {
        try (RedisDriver holder = RedisDriver.open(redis.uri()); RedisDriver waiter = RedisDriver.open(redis.uri())) {
            Duration ttl = Duration.ofSeconds(60);
            Lease held = holder.acquire("cross", ttl, Duration.ofSeconds(5)).orElseThrow();
            // Another waiter keeps the channel subscribed, so the attempt below is sent on a subscribed channel.
            Map<String, Long> start = commandCalls();
            CompletableFuture<Void> other = waiter.awaitReleaseAsync("cross", ttl);
            String channel = holder.lockKey("cross") + ":released";
            await().atMost(Duration.ofSeconds(20)).until(() -> admin.sync().pubsubNumsub(channel).get(channel) == 1
                    && delta(start, commandCalls(), "evalsha") == 1); // subscribed, then read the TTL (a script)
            Map<String, Long> before = commandCalls();
            try (Contention contention = waiter.contend("cross", ttl, Duration.ofSeconds(5))) {
                assertThat(pool.submit(contention::tryAcquire).get(20, TimeUnit.SECONDS)).isEmpty();
                Future<?> waited = pool.submit(() -> {
                    contention.awaitRelease(ttl);
                    return null;
                });
                Map<String, Long> waiting = commandCalls();
                holder.release(held);
                waited.get(20, TimeUnit.SECONDS); // woken by the release message, long before the holder's 60 s
                // The failed attempt's script read the holder's TTL; the wait on another thread used it
                // instead of reading it again (a wait without the attempt's hint reads it: see below).
                assertThat(delta(before, waiting, "evalsha")).as("scripts sent: the attempt, no TTL read").isEqualTo(1);
                assertThat(pool.submit(contention::tryAcquire).get(20, TimeUnit.SECONDS)).isPresent().get()
                        .satisfies(lease -> waiter.release(lease));
            }
            // Control: a wait that knows nothing of an attempt reads the TTL itself.
            Lease again = holder.acquire("cross", ttl, Duration.ofSeconds(5)).orElseThrow();
            Map<String, Long> plainBefore = commandCalls();
            assertThat(waiter.acquire("cross", ttl, Duration.ofSeconds(5))).isEmpty();
            Future<?> plain = pool.submit(() -> {
                waiter.awaitRelease("cross", ttl);
                return null;
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> delta(plainBefore, commandCalls(), "evalsha") == 2);
            holder.release(again);
            plain.get(20, TimeUnit.SECONDS);
            other.cancel(false);
        }
    }

    private long pubSubClients() {
        return admin.sync().clientList().lines().filter(line -> line.contains(" flags=P ")).count();
    }

    private Map<String, Long> commandCalls() {
        Map<String, Long> calls = new java.util.HashMap<>();
        Matcher matcher = CALLS.matcher(admin.sync().info("commandstats"));
        while (matcher.find()) {
            calls.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return calls;
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String command) {
        return after.getOrDefault(command, 0L) - before.getOrDefault(command, 0L);
    }
}
