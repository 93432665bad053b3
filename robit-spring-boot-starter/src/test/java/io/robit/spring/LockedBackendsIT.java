package io.robit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.robit.LockTimeoutException;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An application that adds only the starter and sets {@code robit.backend} gets working
 * {@link Locked} methods on every backend: one real application context per backend, against the
 * real servers (ZooKeeper in-process, SQLite in a file).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockedBackendsIT {
    @TempDir
    static Path dir;
    private static TestingServer zookeeper;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void startZooKeeper() {
        zookeeper = TestServers.zookeeper();
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        zookeeper.close();
    }

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    static Stream<String> backends() {
        return Stream.of("postgresql", "redis", "etcd", "zookeeper", "sqlite");
    }

    private static String uri(String backend) {
        return switch (backend) {
            case "postgresql" -> TestServers.POSTGRESQL;
            case "redis" -> TestServers.REDIS;
            case "etcd" -> TestServers.ETCD;
            case "zookeeper" -> "zookeeper://" + zookeeper.getConnectString();
            case "sqlite" -> "sqlite:" + dir.resolve("locks.db");
            default -> throw new IllegalArgumentException(backend);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void lockedMethodsExcludeEachOtherAndSeeGrowingTokens(String backend) throws Exception {
        String prefix = "spring-it-" + UUID.randomUUID();
        try (ConfigurableApplicationContext app = LockedApp.start(Map.of("robit.backend", uri(backend), "robit.ttl", "10s"))) {
            LockedApp.Jobs jobs = app.getBean(LockedApp.Jobs.class);
            Driver<?> driver = app.getBean(Driver.class);
            assertThat(driver.getClass().getSimpleName()).as("the driver robit.backend names").containsIgnoringCase(backend.equals("postgresql") || backend.equals("sqlite") ? "jdbc" : backend);

            assertThat(LockContext.fencingToken()).as("no token outside a @Locked call").isEmpty();
            long first = jobs.token(prefix, 1);
            long second = jobs.token(prefix, 1);
            assertThat(second).as("fencing tokens grow").isGreaterThan(first);
            assertThat(LockContext.fencingToken()).isEmpty();

            // While one call holds order-7, others on order-7 are excluded; order-8 is another lock.
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Long> holder = CompletableFuture.supplyAsync(() -> call(() -> jobs.hold(prefix, 7, entered, release)), pool);
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(jobs.tokenOrSkip(prefix, 7)).as("SKIP while held").isEmpty();
            assertThat(jobs.countOrSkip(prefix, 7)).as("SKIP returns zero for a primitive").isZero();
            assertThatThrownBy(() -> jobs.token(prefix, 7)).isInstanceOf(LockTimeoutException.class).hasMessageContaining(prefix + "-order-7");
            @SuppressWarnings("unchecked")
            Mutex<String> outsider = Mutex.of(prefix + "-order-7", Duration.ofSeconds(10), (Driver<String>) driver);
            assertThat(outsider.tryLock()).as("the SpEL template made exactly this lock name").isEmpty();
            assertThat(jobs.tokenOrSkip(prefix, 8)).as("another name is another lock").isPresent();

            CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> call(() -> jobs.tokenWaiting(prefix, 7)), pool);
            release.countDown();
            long held = holder.get(30, TimeUnit.SECONDS);
            assertThat(waiter.get(30, TimeUnit.SECONDS)).as("the waiting call got the lock after the holder").isGreaterThan(held);
            assertThat(jobs.countOrSkip(prefix, 7)).as("runs once free").isEqualTo(1);

            HealthIndicator health = app.getBean("robitHealthIndicator", HealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
            Timer acquired = app.getBean(MeterRegistry.class).find("robit.acquire").tag("lock", prefix + "-order-1").tag("outcome", "acquired").timer();
            assertThat(acquired).as("RobitMetrics is bound to the application's registry").isNotNull();
            assertThat(acquired.count()).isEqualTo(2);
        }
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private static <T> T call(Call<T> call) {
        try {
            return call.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

}
