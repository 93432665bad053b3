package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.robit.Mutex;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The release notice (a PUBLISH on the lock's channel) goes out only when someone waits, and a
 * waiter is never left asleep by a release that ran after its failed attempt. A plain subscriber
 * listens on the lock's channel; each check ends with a marker message the test publishes itself,
 * so a notice the release sent arrived before the marker (one connection delivers in order).
 * Against the shared server (names are unique per test). The holder's TTL is 60 s, so a wait that
 * ends within seconds was ended by the notice (or found the lock free), not by the timed wake.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisReleaseNoticeIT {
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String MARKER = "marker";

    @Test
    void anUnlockWithNobodyWaitingPublishesNothing() throws Exception {
        String id = "notice-" + UUID.randomUUID();
        try (RedisDriver driver = RedisDriver.open(TestRedis.uri()); Listener listener = new Listener(driver.lockKey(id) + ":released")) {
            Mutex.of(id, TTL, driver).tryLock().orElseThrow().close();
            assertThat(listener.noticesBeforeMarker()).as("release notices with nobody waiting").isZero();
        }
    }

    @Test
    void aFailedAttemptOfAWaitingCallRegistersItsCallerForTheNotice() throws Exception {
        String id = "notice-" + UUID.randomUUID();
        try (RedisDriver holder = RedisDriver.open(TestRedis.uri()); RedisDriver waiter = RedisDriver.open(TestRedis.uri());
                Listener listener = new Listener(holder.lockKey(id) + ":released")) {
            Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(waiter.acquire(id, TTL, TIMEOUT)).as("a single attempt (tryLock) waits for nothing").isEmpty();
            try (Contention contention = waiter.contend(id, TTL, TIMEOUT)) {
                assertThat(contention.tryAcquire()).isEmpty();
                holder.release(held);
                assertThat(listener.noticesBeforeMarker()).as("release notices after a waiting call's failed attempt").isEqualTo(1);
            }
            // Control: the registration removed behind the waiter's back, the release stays silent.
            held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
            try (Contention contention = waiter.contend(id, TTL, TIMEOUT); TestRedis.Admin admin = TestRedis.admin()) {
                assertThat(contention.tryAcquire()).isEmpty();
                assertThat(admin.sync().del(holder.lockKey(id) + ":waiters")).isEqualTo(1);
                holder.release(held);
                assertThat(listener.noticesBeforeMarker()).as("release notices once the registration is gone").isZero();
            }
        }
    }

    /**
     * The release runs in the window a check-then-publish design loses: after the waiter's failed
     * attempt and before its wait. Subscribed before the attempt, the waiter gets the notice; not
     * subscribed yet, its wait subscribes, finds the key gone, and returns at once.
     */
    @Test
    void aReleaseBetweenTheFailedAttemptAndTheWaitWakesTheWaiter() throws Exception {
        String id = "notice-" + UUID.randomUUID();
        ExecutorService pool = Executors.newCachedThreadPool();
        try (RedisDriver holder = RedisDriver.open(TestRedis.uri()); RedisDriver waiter = RedisDriver.open(TestRedis.uri());
                TestRedis.Admin admin = TestRedis.admin()) {
            for (boolean subscribedFirst : new boolean[] {true, false}) {
                Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
                if (subscribedFirst) {
                    // A short wait leaves the driver's channel subscribed (it lingers), so the attempt below
                    // is sent on a subscribed channel and its wait relies on the notice alone.
                    waiter.awaitReleaseAsync(id, Duration.ofMillis(1)).join();
                    String channel = holder.lockKey(id) + ":released";
                    await().atMost(Duration.ofSeconds(20)).until(() -> admin.sync().pubsubNumsub(channel).get(channel) == 1);
                }
                try (Contention contention = waiter.contend(id, TTL, TIMEOUT)) {
                    assertThat(pool.submit(contention::tryAcquire).get(20, TimeUnit.SECONDS)).isEmpty();
                    holder.release(held);
                    long start = System.nanoTime();
                    Future<?> waited = pool.submit(() -> {
                        contention.awaitRelease(TTL);
                        return null;
                    });
                    waited.get(20, TimeUnit.SECONDS);
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("wait after the release (subscribed first: %s)", subscribedFirst)
                            .isLessThan(Duration.ofSeconds(20));
                    Lease next = pool.submit(contention::tryAcquire).get(20, TimeUnit.SECONDS).orElseThrow();
                    waiter.release(next);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Listens on one channel with a plain Lettuce subscriber. */
    private static final class Listener implements AutoCloseable {
        private final RedisClient client = RedisClient.create(TestRedis.redisUri());
        private final StatefulRedisPubSubConnection<String, String> connection = client.connectPubSub();
        private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final String channel;

        Listener(String channel) {
            this.channel = channel;
            connection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String from, String message) {
                    messages.add(message);
                }
            });
            connection.sync().subscribe(channel);
        }

        /** Publishes a marker and counts the messages that came before it (and since the last call). */
        int noticesBeforeMarker() throws InterruptedException {
            try (TestRedis.Admin admin = TestRedis.admin()) {
                admin.sync().publish(channel, MARKER);
            }
            List<String> before = new ArrayList<>();
            while (true) {
                String message = messages.poll(20, TimeUnit.SECONDS);
                assertThat(message).as("the marker message").isNotNull();
                if (message.equals(MARKER)) {
                    return before.size();
                }
                before.add(message);
            }
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown();
        }
    }

    @AfterAll
    static void removeTestKeys() {
        try (TestRedis.Admin admin = TestRedis.admin()) {
            admin.deleteKeys(TestRedis.PREFIX + "{notice-");
        }
    }
}
