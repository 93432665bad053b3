package io.robit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.robit.Drivers;
import io.robit.redis.RedisDriver;
import io.robit.spi.Driver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;

/**
 * {@link RobitLockRegistry} meets what Spring Integration expects of a {@code LockRegistry}, on
 * Redis and PostgreSQL: registries over one backend exclude each other, locks are reentrant per
 * thread, and {@code LockRegistryLeaderInitiator} elects exactly one leader and elects again when
 * the leader's lock is lost.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RobitLockRegistryIT {
    // Long enough that a slow, shared machine does not lose leases by itself; a broken lease is still
    // noticed within a renew period (a third of it).
    private static final Duration TTL = Duration.ofSeconds(5);
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final String key = "spring-registry-it-" + UUID.randomUUID();

    static Stream<String> backends() {
        return Stream.of("redis", "postgresql");
    }

    @AfterEach
    void close() throws Exception {
        pool.shutdownNow();
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void twoRegistriesOverOneBackendExcludeEachOther(String backend) throws Exception {
        RobitLockRegistry first = new RobitLockRegistry(driver(backend), TTL);
        RobitLockRegistry second = new RobitLockRegistry(driver(backend), TTL);
        Lock mine = first.obtain(key);
        assertThat(first.obtain(key)).as("one lock per key").isSameAs(mine);
        assertThat(mine.tryLock()).isTrue();
        assertThat(second.obtain(key).tryLock()).isFalse();
        assertThat(second.obtain(key).tryLock(100, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(pool.submit(() -> mine.tryLock()).get()).as("another thread of the same registry waits its turn too").isFalse();
        mine.unlock();
        assertThat(second.obtain(key).tryLock(10, TimeUnit.SECONDS)).isTrue();
        second.obtain(key).unlock();
        assertThatThrownBy(() -> first.obtain(42)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("String");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void reentrantPerThreadLikeSpringsRegistries(String backend) throws Exception {
        RobitLockRegistry first = new RobitLockRegistry(driver(backend), TTL);
        RobitLockRegistry second = new RobitLockRegistry(driver(backend), TTL);
        Lock lock = first.obtain(key);
        lock.lock();
        assertThat(lock.tryLock()).as("the holding thread re-enters").isTrue();
        lock.lock();
        lock.unlock();
        lock.unlock();
        assertThat(second.obtain(key).tryLock()).as("still held until the last unlock").isFalse();
        lock.unlock();
        assertThat(second.obtain(key).tryLock(10, TimeUnit.SECONDS)).as("released at the last unlock").isTrue();
        second.obtain(key).unlock();
        assertThatThrownBy(lock::unlock).isInstanceOf(IllegalMonitorStateException.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aNestedLockAfterALossGivesUpTheWholeHoldInsteadOfCountingOnIt(String backend) throws Exception {
        Driver<String> driver = driver(backend);
        RobitLockRegistry registry = new RobitLockRegistry(driver, TTL);
        Lock lock = registry.obtain(key);
        lock.lock();
        lock.lock();
        breakLock(backend, driver, key);
        // Until the loss is noticed a nested tryLock still succeeds (and is undone); then it fails.
        await().pollInSameThread().atMost(Duration.ofSeconds(20)).until(() -> {
            if (lock.tryLock()) {
                lock.unlock();
                return false;
            }
            return true;
        });
        assertThatThrownBy(lock::unlock).as("the thread's whole hold was given up").isInstanceOf(IllegalMonitorStateException.class);
        assertThat(lock.tryLock(10, TimeUnit.SECONDS)).as("the next call competes anew").isTrue();
        lock.unlock();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void leaderInitiatorElectsExactlyOneAndElectsAgainWhenTheLeadersLockIsLost(String backend) throws Exception {
        List<Driver<String>> drivers = new ArrayList<>();
        List<LockRegistryLeaderInitiator> initiators = new ArrayList<>();
        List<Votes> votes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Driver<String> driver = driver(backend);
            Votes candidate = new Votes("node-" + i, key);
            LockRegistryLeaderInitiator initiator = new LockRegistryLeaderInitiator(new RobitLockRegistry(driver, TTL), candidate);
            initiator.setHeartBeatMillis(100);
            initiator.setBusyWaitMillis(50);
            drivers.add(driver);
            initiators.add(initiator);
            votes.add(candidate);
            closeAfter.add(initiator::destroy);
        }
        initiators.forEach(LockRegistryLeaderInitiator::start);

        await().atMost(Duration.ofSeconds(20)).until(() -> leaders(initiators) == 1);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> leaders(initiators) == 1);
        int leader = leaderIndex(initiators);
        int grantsBefore = votes.stream().mapToInt(v -> v.granted.get()).sum();
        int revokedBefore = votes.get(leader).revoked.get();

        breakLock(backend, drivers.get(leader), key);
        await().atMost(Duration.ofSeconds(20)).until(() -> votes.get(leader).revoked.get() > revokedBefore);
        await().atMost(Duration.ofSeconds(20)).until(() -> leaders(initiators) == 1 && votes.stream().mapToInt(v -> v.granted.get()).sum() > grantsBefore);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> leaders(initiators) == 1);
    }

    private static long leaders(List<LockRegistryLeaderInitiator> initiators) {
        return initiators.stream().filter(i -> i.getContext().isLeader()).count();
    }

    private static int leaderIndex(List<LockRegistryLeaderInitiator> initiators) {
        for (int i = 0; i < initiators.size(); i++) {
            if (initiators.get(i).getContext().isLeader()) {
                return i;
            }
        }
        throw new IllegalStateException("no leader");
    }

    private Driver<String> driver(String backend) {
        Driver<String> driver = Drivers.open(backend.equals("redis") ? TestServers.REDIS : TestServers.POSTGRESQL);
        closeAfter.add(driver);
        return driver;
    }

    /** Takes the lock away from its holder behind its back, as an operator or a split brain would. */
    private static void breakLock(String backend, Driver<String> driver, String name) throws Exception {
        if (backend.equals("redis")) {
            try (RedisClient client = RedisClient.create(TestServers.REDIS); StatefulRedisConnection<String, String> c = client.connect()) {
                assertThat(c.sync().del(((RedisDriver) driver).lockKey(name))).isEqualTo(1L);
            }
        } else {
            try (Connection c = DriverManager.getConnection(TestServers.POSTGRESQL_JDBC, "postgres", "");
                    PreparedStatement update = c.prepareStatement("UPDATE robit_locks SET owner = 'intruder' WHERE name = ? AND owner IS NOT NULL")) {
                update.setString(1, name);
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
        }
    }

    /** A candidate that counts its grants and revocations. */
    private static final class Votes extends DefaultCandidate {
        final AtomicInteger granted = new AtomicInteger();
        final AtomicInteger revoked = new AtomicInteger();

        Votes(String id, String role) {
            super(id, role);
        }

        @Override
        public void onGranted(Context ctx) {
            granted.incrementAndGet();
        }

        @Override
        public void onRevoked(Context ctx) {
            revoked.incrementAndGet();
        }
    }
}
