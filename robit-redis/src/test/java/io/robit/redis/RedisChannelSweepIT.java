package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.robit.spi.Lease;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, item 10: a release channel swept after its linger sent UNSUBSCRIBE after it had left
 * the channel map, so a new waiter's SUBSCRIBE could go out first and be cancelled by it; that
 * waiter then slept until the holder's TTL. With a linger of 1 ms every handoff races a sweep: each
 * waiter must still be woken by the release, long before the holder's TTL. The second test makes
 * the race likely (on the old code it failed within 40 rounds in every run); the first guards the
 * whole handoff path.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisChannelSweepIT {
    private static final Duration HOLDER_TTL = Duration.ofSeconds(60);
    private static final Duration WOKEN_WITHIN = Duration.ofSeconds(10);
    private static final int HANDOFFS = 100;
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void aWaiterThatJoinsWhileItsChannelIsSweptIsStillWokenByTheRelease() throws Exception {
        RedisClient client = RedisClient.create();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        String id = "sweep-race-" + System.nanoTime();
        try (RedisDriver waiters = RedisDriver.builder(client, TestRedis.redisUri()).releaseLinger(Duration.ofNanos(LINGER_NANOS)).build();
                RedisDriver holder = RedisDriver.open(TestRedis.uri())) {
            Thread worker = pool.submit(Thread::currentThread).get();
            for (int i = 0; i < HANDOFFS; i++) {
                Lease held = holder.acquire(id, HOLDER_TTL, Duration.ofSeconds(5)).orElseThrow();
                // The last waiter left just now: join at a random moment around the sweep, 1 ms later.
                long joinAt = System.nanoTime() + ThreadLocalRandom.current().nextLong(LINGER_NANOS * 2);
                Future<?> waiting = pool.submit(() -> {
                    while (System.nanoTime() - joinAt < 0) {
                        Thread.onSpinWait();
                    }
                    waiters.awaitRelease(id, HOLDER_TTL);
                    return null;
                });
                // Release while the waiter sleeps (it may also find the lock free at once: no harm).
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                        .until(() -> waiting.isDone() || worker.getState() == Thread.State.TIMED_WAITING);
                holder.release(held);
                try {
                    waiting.get(WOKEN_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new AssertionError("handoff " + i + ": the waiter was not woken by the release within " + WOKEN_WITHIN
                            + " (its SUBSCRIBE was cancelled by a sweep's UNSUBSCRIBE)", e);
                }
            }
        } finally {
            pool.shutdownNow();
            client.shutdown();
        }
    }

    /**
     * The same race, made likely: the sweep is held up (on the signals' own lock, as a busy driver
     * would hold it up) right after it retired the channel, and a new waiter joins the moment it is
     * let go. The waiter must end up subscribed on the server: a message to the channel wakes it.
     */
    @Test
    void aWaiterJoiningAtTheMomentOfTheSweepEndsUpSubscribed() throws Exception {
        RedisClient client = RedisClient.create();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Connections connections = Connections.standalone(client, TestRedis.redisUri(), false);
        ReleaseSignals signals = new ReleaseSignals(connections, Duration.ofNanos(LINGER_NANOS));
        ReentrantLock signalsLock = signalsLock(signals);
        try (TestRedis.Admin admin = TestRedis.admin()) {
            for (int i = 0; i < 40; i++) {
                String name = "sweep-moment-" + System.nanoTime() + ":released";
                ReleaseSignals.Channel first = signals.join(name);
                assertThat(first.awaitSubscribed(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))).isTrue();
                AtomicBoolean go = new AtomicBoolean();
                Future<ReleaseSignals.Channel> joiner = pool.submit(() -> {
                    while (!go.get()) {
                        Thread.onSpinWait();
                    }
                    return signals.join(name);
                });
                signalsLock.lock();
                try {
                    signals.leave(first);
                    await("the sweep is waiting").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                            .until(signalsLock::hasQueuedThreads);
                } finally {
                    signalsLock.unlock();
                    go.set(true);
                }
                ReleaseSignals.Channel second = joiner.get(10, TimeUnit.SECONDS);
                try {
                    assertThat(second.awaitSubscribed(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))).isTrue();
                    long seen = second.generation();
                    await("round " + i + ": a message reaches the new waiter (its SUBSCRIBE was not cancelled)")
                            .atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                            .until(() -> {
                                admin.sync().publish(name, "");
                                return second.generation() != seen;
                            });
                } finally {
                    signals.leave(second);
                }
            }
        } finally {
            pool.shutdownNow();
            signals.close();
            connections.close();
            client.shutdown();
        }
    }

    private static ReentrantLock signalsLock(ReleaseSignals signals) throws ReflectiveOperationException {
        Field field = ReleaseSignals.class.getDeclaredField("lock");
        field.setAccessible(true);
        return (ReentrantLock) field.get(signals);
    }
}
