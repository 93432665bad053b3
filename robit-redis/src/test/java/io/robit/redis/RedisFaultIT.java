package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.robit.DriverException;
import io.robit.Held;
import io.robit.Loss;
import io.robit.LossReason;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.spi.SessionLease;
import io.robit.testsupport.Ports;
import io.robit.testsupport.RedisServer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Failures of the server itself: refused connections, a server that stops answering, restarts
 * empty, or forgets its scripts. Each test starts its own redis-server; the shared one is never
 * touched.
 */
class RedisFaultIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Test
    void connectionRefusedIsADriverExceptionNamingServerLockAndOperation() throws Exception {
        int port = Ports.free(); // nothing listens there
        try (RedisDriver driver = RedisDriver.open("redis://127.0.0.1:" + port)) {
            assertThatThrownBy(() -> driver.acquire("refused-lock", Duration.ofSeconds(5), TIMEOUT))
                    .isInstanceOf(DriverException.class)
                    .hasMessageContaining("redis 127.0.0.1:" + port)
                    .hasMessageContaining("acquire of lock 'refused-lock'")
                    .hasCauseInstanceOf(io.lettuce.core.RedisConnectionException.class);
            // Waiting does not throw: it sleeps at most maxWait and lets the next acquire report the failure.
            long start = System.nanoTime();
            driver.awaitRelease("refused-lock", Duration.ofMillis(300));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            Mutex<String> mutex = Mutex.of("refused-lock", Duration.ofSeconds(5), driver);
            assertThatThrownBy(mutex::tryLock).isInstanceOf(DriverException.class).hasMessageContaining("127.0.0.1:" + port);
        }
    }

    @Test
    void driverOverAUserClientNamesTheUriItWasGiven() throws Exception {
        int port = Ports.free();
        RedisClient client = RedisClient.create();
        try (RedisDriver driver = RedisDriver.builder(client, RedisURI.create("127.0.0.1", port)).build()) {
            assertThatThrownBy(() -> driver.acquire("user-client-lock", Duration.ofSeconds(5), TIMEOUT))
                    .isInstanceOf(DriverException.class)
                    .hasMessageContaining("redis 127.0.0.1:" + port + ": acquire of lock 'user-client-lock' failed");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void serverComingUpLaterIsReachedByTheSameDriver() throws Exception {
        try (RedisServer redis = RedisServer.start(); RedisDriver driver = RedisDriver.open(redis.uri())) {
            redis.stop();
            assertThatThrownBy(() -> driver.acquire("late-lock", Duration.ofSeconds(5), TIMEOUT)).isInstanceOf(DriverException.class);
            redis.startAgain();
            Lease lease = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptionsInstanceOf(DriverException.class)
                    .until(() -> driver.acquire("late-lock", Duration.ofSeconds(5), TIMEOUT), Optional::isPresent).orElseThrow();
            driver.release(lease);
        }
    }

    @Test
    void unansweredRequestsTimeOutAndNameTheOperation() throws Exception {
        try (RedisServer redis = RedisServer.start(); RedisDriver driver = RedisDriver.open(redis.uri())) {
            Lease lease = driver.acquire("paused-lock", Duration.ofSeconds(30), TIMEOUT).orElseThrow();
            redis.pause();
            try {
                assertThatThrownBy(() -> lease.refresh(Duration.ofSeconds(30), Duration.ofMillis(300)))
                        .isInstanceOf(DriverException.class)
                        .hasMessageContaining("redis 127.0.0.1:" + redis.port() + ": refresh of lock 'paused-lock' failed")
                        .hasMessageContaining("no answer within PT0.3S");
                assertThatThrownBy(() -> driver.acquire("other-lock", Duration.ofSeconds(30), Duration.ofMillis(300)))
                        .isInstanceOf(DriverException.class).hasMessageContaining("acquire of lock 'other-lock'");
                assertThatThrownBy(() -> ((SessionLease) lease).session().keepAlive(Duration.ofMillis(300)))
                        .isInstanceOf(DriverException.class)
                        .hasMessageContaining("renewal of lock 'paused-lock' failed").hasMessageContaining("no answer within PT0.3S");
                assertThat(lease.lost()).as("a failed refresh alone is not a loss").isNotDone();
            } finally {
                redis.resume();
            }
            // Still ours once the server answers again.
            lease.refresh(Duration.ofSeconds(30), TIMEOUT);
            assertThat(((SessionLease) lease).session().keepAlive(TIMEOUT)).isEqualTo(Duration.ofSeconds(30));
            // The acquire that timed out was given back instead of staying locked for 30 s.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> driver.acquire("other-lock", Duration.ofSeconds(30), TIMEOUT), Optional::isPresent);
            driver.release(lease);
        }
    }

    @Test
    void pauseShorterThanTheTtlKeepsTheHoldAndRenewalResumes() throws Exception {
        try (RedisServer redis = RedisServer.start(); RedisDriver driver = RedisDriver.open(redis.uri())) {
            CompletableFuture<Loss> lost = new CompletableFuture<>();
            Mutex<String> mutex = Mutex.builder("survivor", Duration.ofSeconds(8), driver)
                    .renewPeriod(Duration.ofMillis(500)).renewTimeout(Duration.ofMillis(500)).onLost(lost::complete).build();
            Held held = mutex.lock();
            await().atMost(Duration.ofSeconds(10)).until(() -> mutex.stats().renewSuccess() >= 1);
            redis.pause();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> mutex.stats().renewFailed() >= 2);
            } finally {
                redis.resume();
            }
            long renewedBefore = mutex.stats().renewSuccess();
            await().atMost(Duration.ofSeconds(10)).until(() -> mutex.stats().renewSuccess() > renewedBefore);
            assertThat(lost).isNotDone();
            assertThat(held.isLost()).isFalse();
            assertThat(mutex.isHeld()).isTrue();
            mutex.unlock();
        }
    }

    @Test
    void restartThatLosesTheKeyIsReportedAsLossAndNewLocksWork() throws Exception {
        try (RedisServer redis = RedisServer.start(); RedisDriver driver = RedisDriver.open(redis.uri())) {
            CompletableFuture<Loss> lost = new CompletableFuture<>();
            Mutex<String> mutex = Mutex.builder("restarted", Duration.ofSeconds(6), driver)
                    .renewPeriod(Duration.ofMillis(500)).renewTimeout(Duration.ofMillis(500)).onLost(lost::complete).build();
            Held held = mutex.lock();
            long tokenBefore = held.fencingToken();
            redis.stop();
            redis.startAgain(); // empty: no persistence
            Loss loss = lost.get(20, TimeUnit.SECONDS);
            assertThat(loss.reason()).as("found gone by a refresh (or, on a very slow machine, the deadline passed)")
                    .isIn(LossReason.GONE, LossReason.DEADLINE_PASSED);
            assertThat(held.isLost()).isTrue();
            // The restarted server has no scripts cached: the EVALSHA → NOSCRIPT → EVAL fallback runs here.
            Held again = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptionsInstanceOf(DriverException.class).until(mutex::tryLock, Optional::isPresent).orElseThrow();
            // The lost counter starts again at the server's time in microseconds: still above every earlier token.
            assertThat(again.fencingToken()).isGreaterThan(tokenBefore);
            mutex.unlock();
        }
    }

    @Test
    void pauseLongerThanTheTtlIsReportedLostByTheDeadline() throws Exception {
        try (RedisServer redis = RedisServer.start(); RedisDriver driver = RedisDriver.open(redis.uri())) {
            CompletableFuture<Loss> lost = new CompletableFuture<>();
            Duration ttl = Duration.ofSeconds(2);
            Mutex<String> mutex = Mutex.builder("frozen", ttl, driver).onLost(lost::complete).build();
            mutex.lock();
            redis.pause();
            long paused = System.nanoTime();
            Loss loss;
            try {
                loss = lost.get(ttl.plusSeconds(10).toSeconds(), TimeUnit.SECONDS);
            } finally {
                redis.resume();
            }
            assertThat(loss.reason()).isEqualTo(LossReason.DEADLINE_PASSED);
            assertThat(Duration.ofNanos(System.nanoTime() - paused)).isLessThan(ttl.plusSeconds(5));
        }
    }

    @Test
    void flushedScriptCacheFallsBackToEval() throws Exception {
        try (RedisServer redis = RedisServer.start(); RedisDriver driver = RedisDriver.open(redis.uri());
                TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(redis.uri()))) {
            Lease lease = driver.acquire("noscript", Duration.ofSeconds(30), TIMEOUT).orElseThrow();
            admin.sync().scriptFlush();
            lease.refresh(Duration.ofSeconds(30), TIMEOUT);
            admin.sync().scriptFlush();
            driver.release(lease);
            assertThat(admin.sync().exists(driver.lockKey("noscript"))).isZero();
            admin.sync().scriptFlush();
            Lease next = driver.acquire("noscript", Duration.ofSeconds(30), TIMEOUT).orElseThrow();
            assertThat(next.fencingToken()).isGreaterThan(lease.fencingToken());
            driver.release(next);
            assertThat(admin.sync().info("commandstats")).contains("cmdstat_eval:");
        }
    }
}
