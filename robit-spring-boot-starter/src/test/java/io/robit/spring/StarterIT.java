package io.robit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.robit.Held;
import io.robit.LockLostException;
import io.robit.Mutex;
import io.robit.jdbc.JdbcDriver;
import io.robit.local.LocalDriver;
import io.robit.redis.RedisDriver;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.etcd.jetcd.Client;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/** Where the starter's driver comes from, who closes it, health, loss, and {@code @Scheduled} jobs: real application contexts on real servers. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StarterIT {
    @TempDir
    Path dir;
    private final String prefix = "spring-it-" + UUID.randomUUID();

    @Test
    void withOnlyADataSourceItLocksThroughThatDataSource() throws Exception {
        String table = "robit_spring_it_locks";
        Map<String, Object> properties = Map.of(
                "spring.datasource.url", TestServers.POSTGRESQL_JDBC,
                "spring.datasource.username", "postgres",
                "robit.jdbc.table", table);
        try (ConfigurableApplicationContext app = LockedApp.start(properties)) {
            assertThat(app.getBean(Driver.class)).isInstanceOf(JdbcDriver.class).hasToString(app.getBean(Driver.class).toString())
                    .extracting(Object::toString).asString().contains(table);
            long token = app.getBean(LockedApp.Jobs.class).token(prefix, 1);
            Long stored = new JdbcTemplate(app.getBean(DataSource.class))
                    .queryForObject("SELECT fencing_token FROM " + table + " WHERE name = ?", Long.class, prefix + "-order-1");
            assertThat(stored).as("the lock row is in the application's database").isEqualTo(token);
        }
    }

    @Test
    void aLettuceConnectionFactoryIsUsedWhenThereIsNoBackendProperty() throws Exception {
        try (ConfigurableApplicationContext app = LockedApp.start(Map.of(), RedisFactoryConfig.class)) {
            Driver<?> driver = app.getBean(Driver.class);
            assertThat(driver).isInstanceOf(RedisDriver.class);
            app.getBean(LockedApp.Jobs.class).token(prefix, 1);
            try (RedisClient client = RedisClient.create(TestServers.REDIS); StatefulRedisConnection<String, String> c = client.connect()) {
                assertThat(c.sync().exists(((RedisDriver) driver).lockKey(prefix + "-order-1") + ":token")).isEqualTo(1L);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(classes = {RedisClientConfig.class, EtcdClientConfig.class, CuratorConfig.class})
    void theApplicationsOwnClientBeanIsUsedWhenThereIsNoBackendProperty(Class<?> config) throws Exception {
        try (TestingServer zookeeper = TestServers.zookeeper()) {
            CuratorConfig.connectString = zookeeper.getConnectString();
            try (ConfigurableApplicationContext app = LockedApp.start(Map.of(), config)) {
                Driver<?> driver = app.getBean(Driver.class);
                String expected = config == RedisClientConfig.class ? "RedisDriver" : config == EtcdClientConfig.class ? "EtcdDriver" : "ZooKeeperDriver";
                assertThat(driver.getClass().getSimpleName()).isEqualTo(expected);
                LockedApp.Jobs jobs = app.getBean(LockedApp.Jobs.class);
                assertThat(jobs.token(prefix, 1)).isLessThan(jobs.token(prefix, 1));
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class RedisClientConfig {
        @Bean(destroyMethod = "shutdown")
        RedisClient redisClient() {
            return RedisClient.create(TestServers.REDIS);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class EtcdClientConfig {
        @Bean
        Client etcdClient() {
            return Client.builder().endpoints(TestServers.ETCD.replace("etcd://", "http://")).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CuratorConfig {
        static volatile String connectString;

        @Bean(initMethod = "start")
        CuratorFramework curator() {
            return CuratorFrameworkFactory.newClient(connectString, new ExponentialBackoffRetry(100, 3));
        }
    }

    @Test
    void aUserDriverReplacesTheStartersAndIsNotClosedByIt() throws Exception {
        ProbeDriver mine = new ProbeDriver();
        UserDriverConfig.driver = mine;
        // robit.backend names an unreachable server: the starter must not even open it.
        ConfigurableApplicationContext app = LockedApp.start(Map.of("robit.backend", "redis://127.0.0.1:1"), UserDriverConfig.class);
        try {
            assertThat(app.getBean(Driver.class)).isSameAs(mine);
            assertThat(app.getBean(RobitMutexes.class).driver()).isSameAs(mine);
            app.getBean(LockedApp.Jobs.class).token(prefix, 1);
            assertThat(mine.acquired).hasValue(1);
        } finally {
            app.close();
        }
        assertThat(mine.closed).as("the starter never closes a driver it did not make").isFalse();
    }

    @Test
    void theStartersOwnDriverIsClosedWithTheContext() throws Exception {
        Driver<String> driver;
        try (ConfigurableApplicationContext app = LockedApp.start(Map.of("robit.backend", "sqlite:" + dir.resolve("closing.db")))) {
            @SuppressWarnings("unchecked")
            Driver<String> bean = app.getBean(Driver.class);
            driver = bean;
            try (Held held = Mutex.of(prefix, Duration.ofSeconds(5), driver).tryLock().orElseThrow()) {
                assertThat(held.fencingToken()).isPositive();
            }
        }
        assertThatThrownBy(() -> Mutex.of(prefix + "-after", Duration.ofSeconds(5), driver).tryLock())
                .as("closed on shutdown").isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void withNoBackendAtAllStartupFailsSayingWhatToSet() {
        assertThatThrownBy(() -> LockedApp.start(Map.of()).close()).hasStackTraceContaining("robit.backend");
    }

    @Test
    void aBadLockedAnnotationFailsStartupNamingTheMethod() {
        Map<String, Object> sqlite = Map.of("robit.backend", "sqlite:" + dir.resolve("bad.db"));
        assertThatThrownBy(() -> LockedApp.start(sqlite, BadDurationConfig.class).close())
                .hasStackTraceContaining("BadDuration.work").hasStackTraceContaining("'soon' is not a duration");
        Map<String, Object> slowRenewal = Map.of("robit.backend", "sqlite:" + dir.resolve("bad.db"), "robit.renew-period", "5s");
        // LockedApp's methods have ttls of 1.5 s and 5 s: neither fits a 5 s renew period.
        assertThatThrownBy(() -> LockedApp.start(slowRenewal).close())
                .hasStackTraceContaining("@Locked on io.robit.spring.LockedApp$Jobs.").hasStackTraceContaining("renewPeriod PT5S must be less than ttl");
    }

    @Configuration(proxyBeanMethods = false)
    static class BadDurationConfig {
        @Bean
        BadDuration badDuration() {
            return new BadDuration();
        }
    }

    static class BadDuration {
        @Locked(name = "bad", waitFor = "soon")
        public void work() {
        }
    }

    @Test
    void healthIsDownWhenTheBackendDoesNotAnswer() {
        try (ConfigurableApplicationContext app = LockedApp.start(Map.of("robit.backend", "redis://127.0.0.1:1"))) {
            HealthIndicator health = app.getBean("robitHealthIndicator", HealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
        }
    }

    @Test
    void aLossInterruptsTheLockedMethodAndEndsItWithLockLostException() throws Exception {
        try (ConfigurableApplicationContext app = LockedApp.start(Map.of("robit.backend", TestServers.REDIS));
                RedisClient client = RedisClient.create(TestServers.REDIS);
                StatefulRedisConnection<String, String> redis = client.connect()) {
            LockedApp.Jobs jobs = app.getBean(LockedApp.Jobs.class);
            RedisDriver driver = app.getBean(RedisDriver.class);
            CountDownLatch entered = new CountDownLatch(1);
            CompletableFuture<Void> call = CompletableFuture.runAsync(() -> {
                try {
                    jobs.holdUntilInterrupted(prefix, 1, entered);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("the interrupt should have become LockLostException", e);
                }
            });
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(redis.sync().del(driver.lockKey(prefix + "-order-1"))).as("an operator deletes the lock").isEqualTo(1L);
            assertThatThrownBy(() -> call.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(LockLostException.class)
                    .cause().hasMessageContaining(prefix + "-order-1");
        }
    }

    @Test
    void aScheduledLockedJobRunsOnOneInstanceAtATimeAndTheOthersSkip() throws Exception {
        Map<String, Object> properties = Map.of("robit.backend", TestServers.REDIS);
        try (ConfigurableApplicationContext first = LockedApp.start(properties, ScheduledConfig.class);
                ConfigurableApplicationContext second = LockedApp.start(properties, ScheduledConfig.class)) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(new long[] {ScheduledConfig.runs.get(), busy(first) + busy(second)})
                    .as("runs, and skips because the other instance held the lock ").satisfies(n -> {
                        assertThat(n[0]).isGreaterThanOrEqualTo(10);
                        assertThat(n[1]).isGreaterThanOrEqualTo(3);
                    }));
        }
        assertThat(ScheduledConfig.maxConcurrent).as("never two runs at once across the two instances").hasValue(1);
    }

    @Test
    void aLockRegistryBeanOverTheStartersDriverElectsALeader() {
        RegistryConfig.role = prefix + "-leader";
        try (ConfigurableApplicationContext app = LockedApp.start(Map.of("robit.backend", TestServers.REDIS), RegistryConfig.class)) {
            LockRegistryLeaderInitiator initiator = app.getBean(LockRegistryLeaderInitiator.class);
            await().atMost(Duration.ofSeconds(20)).until(() -> initiator.getContext().isLeader());
            Lock other = new RobitLockRegistry(app.getBean(RobitMutexes.class).driver(), Duration.ofSeconds(5)).obtain(RegistryConfig.role);
            assertThat(other.tryLock()).as("the leader holds the role's lock").isFalse();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class RegistryConfig {
        static volatile String role;

        // snippet:registry
        @Bean
        RobitLockRegistry lockRegistry(Driver<String> driver) {
            return new RobitLockRegistry(driver, Duration.ofSeconds(30));
        }

        @Bean
        LockRegistryLeaderInitiator leaderInitiator(RobitLockRegistry locks) {
            return new LockRegistryLeaderInitiator(locks, new DefaultCandidate("node-1", role));
        }
        // end::registry
    }

    /** Skipped runs: lock calls that found the lock busy, as the application's metrics count them. */
    private static long busy(ConfigurableApplicationContext app) {
        // One attempt (waitFor 0s) that finds the lock held ends as a timeout.
        Timer timer = app.getBean(MeterRegistry.class).find("robit.acquire").tag("lock", ScheduledConfig.NAME).tag("outcome", "timeout").timer();
        return timer == null ? 0 : timer.count();
    }

    @Configuration(proxyBeanMethods = false)
    static class RedisFactoryConfig {
        @Bean
        LettuceConnectionFactory redisConnectionFactory() {
            return new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 6379));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserDriverConfig {
        static ProbeDriver driver;

        @Bean(destroyMethod = "")
        Driver<String> myDriver() {
            return driver;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    static class ScheduledConfig {
        static final String NAME = "spring-it-scheduled-report";
        static final AtomicInteger runs = new AtomicInteger();
        static final AtomicInteger running = new AtomicInteger();
        static final AtomicInteger maxConcurrent = new AtomicInteger();

        @Bean
        ReportJob reportJob() {
            return new ReportJob();
        }
    }

    static class ReportJob {
        @Scheduled(fixedDelay = 10)
        @Locked(name = ScheduledConfig.NAME, onTimeout = Locked.OnTimeout.SKIP)
        public void report() throws InterruptedException {
            int now = ScheduledConfig.running.incrementAndGet();
            ScheduledConfig.maxConcurrent.accumulateAndGet(now, Math::max);
            try {
                Thread.sleep(50);
                ScheduledConfig.runs.incrementAndGet();
            } finally {
                ScheduledConfig.running.decrementAndGet();
            }
        }
    }

    /** A driver of the application's own: counts acquisitions and whether anyone closed it. */
    static final class ProbeDriver implements Driver<String> {
        private final LocalDriver<String> local = LocalDriver.create();
        final AtomicInteger acquired = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            acquired.incrementAndGet();
            return local.acquire(id, ttl, timeout);
        }

        @Override
        public void release(Lease lease) {
            local.release(lease);
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }
}
