package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.drivers.AdvancedTracerDriver;
import org.apache.curator.drivers.EventTrace;
import org.apache.curator.drivers.OperationTrace;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ZooKeeper session as the {@link LeaseSession} of every hold of a client (issue 18 item 1): one
 * write per keep-alive whatever the number of holds, the ttl timers it extends, and its loss.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZooKeeperSessionIT {
    private static final Duration SESSION = Duration.ofSeconds(4);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<String> traced = new CopyOnWriteArrayList<>();
    private CuratorFramework admin;
    private CuratorFramework client;
    private String connect;

    @BeforeEach
    void connect() {
        connect = ZooKeeperTestSupport.shared().getConnectString();
        admin = track(ZooKeeperTestSupport.client(connect, SESSION));
        client = track(ZooKeeperTestSupport.client(connect, SESSION));
        client.getZookeeperClient().setTracerDriver(new AdvancedTracerDriver() {
            @Override
            public void addTrace(OperationTrace trace) {
                traced.add(trace.getName() + " " + trace.getPath());
            }

            @Override
            public void addEvent(EventTrace trace) {
            }
        });
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void oneWriteThroughTheLeaderKeepsEveryHoldOfTheClientAlive() throws Exception {
        ZooKeeperDriver driver = track(ZooKeeperDriver.builder(client).serverTickTime(Duration.ofMillis(ZooKeeperTestSupport.TICK_MS)).build());
        List<Lease> leases = new ArrayList<>();
        List<String> ids = List.of(newId(), newId(), newId());
        for (String id : ids) {
            leases.add(driver.acquire(id, Duration.ofSeconds(30), TIMEOUT).orElseThrow());
        }
        LeaseSession session = ((SessionLease) leases.get(0)).session();
        assertThat(leases).allSatisfy(lease -> assertThat(((SessionLease) lease).session()).isSameAs(session));
        long sessionId = client.getZookeeperClient().getZooKeeper().getSessionId();
        String node = ZooKeeperTestSupport.BASE_PATH + "/" + LockNames.SESSIONS + "/s-" + Long.toHexString(sessionId);
        int negotiated = client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs();

        traced.clear();
        assertThat(session.keepAlive(TIMEOUT)).as("2/3 of the session less one tick").isEqualTo(Duration.ofMillis(negotiated * 2L / 3 - ZooKeeperTestSupport.TICK_MS));
        // Curator sends the create again after making a missing parent (%sessions) first.
        assertThat(traced.stream().filter(t -> t.endsWith(node)).toList()).as("the first keep-alive creates the session's node")
                .isNotEmpty().hasSizeLessThanOrEqualTo(2).allSatisfy(t -> assertThat(t).isEqualTo("CreateBuilderImpl-Background " + node));
        assertThat(traced).as("nothing on any lock's node").allSatisfy(t -> assertThat(t).contains("/" + LockNames.SESSIONS));
        Stat stat = admin.checkExists().forPath(node);
        assertThat(stat.getEphemeralOwner()).as("an ephemeral node of the client's session").isEqualTo(sessionId);

        traced.clear();
        session.keepAlive(TIMEOUT);
        assertThat(traced).as("then one write, for all three holds").containsExactly("SetDataBuilderImpl-Background " + node);
        assertThat(admin.checkExists().forPath(node).getVersion()).isEqualTo(stat.getVersion() + 1);

        List<String> listed = driver.list().stream().map(info -> String.valueOf(info.name())).toList();
        assertThat(listed).as("the locks, and not the sessions' node").containsAll(ids).doesNotContain(LockNames.SESSIONS);
        leases.forEach(driver::release);
        assertThat(leases).allSatisfy(lease -> assertThat(lease.lost()).isNotDone());
        assertThat(session.lost()).as("releases do not end the session").isNotDone();
    }

    @Test
    void lockAndUnlockInALoopScheduleNoTtlTimerTaskPerPair() throws Exception {
        // Issue 18 item 5: one timer for the ttl of every lease of the driver, not a task per lease.
        ZooKeeperDriver driver = track(ZooKeeperDriver.create(client));
        String id = newId();
        Duration ttl = Duration.ofSeconds(30);
        driver.release(driver.acquire(id, ttl, TIMEOUT).orElseThrow());
        long before = driver.context().timerTasks();
        for (int i = 0; i < 50; i++) {
            Lease lease = driver.acquire(id, ttl, TIMEOUT).orElseThrow();
            driver.release(lease);
        }
        assertThat(driver.context().timerTasks() - before).as("timer tasks scheduled for 50 lock+unlock pairs").isLessThanOrEqualTo(1);
    }

    @Test
    void keepAlivesExtendTheTtlOfEveryHoldAndTheirAbsenceExpiresThem() throws Exception {
        ZooKeeperDriver driver = track(ZooKeeperDriver.create(client));
        Duration ttl = Duration.ofMillis(1500);
        Lease first = driver.acquire(newId(), ttl, TIMEOUT).orElseThrow();
        Lease second = driver.acquire(newId(), ttl, TIMEOUT).orElseThrow();
        LeaseSession session = ((SessionLease) first).session();
        ScheduledExecutorService keepAlives = Executors.newSingleThreadScheduledExecutor();
        try {
            keepAlives.scheduleWithFixedDelay(() -> {
                try {
                    session.keepAlive(TIMEOUT);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, 0, 300, TimeUnit.MILLISECONDS);
            await("held past twice the ttl on keep-alives alone").during(ttl.multipliedBy(2)).atMost(ttl.multipliedBy(4))
                    .until(() -> !first.lost().isDone() && !second.lost().isDone());
        } finally {
            keepAlives.shutdownNow();
        }
        await("without keep-alives, each hold expires after its ttl").atMost(ttl.plusSeconds(5))
                .until(() -> first.lost().isDone() && second.lost().isDone());
        assertThatThrownBy(first.lost()::join).hasCauseInstanceOf(LockLostException.class).hasMessageContaining("EXPIRED");
        driver.release(first);
        driver.release(second);
    }

    @Test
    void anExpiredSessionIsLostOnceAndItsKeepAliveSaysSo() throws Exception {
        ZooKeeperDriver driver = track(ZooKeeperDriver.create(client));
        Lease lease = driver.acquire(newId(), Duration.ofSeconds(30), TIMEOUT).orElseThrow();
        LeaseSession session = ((SessionLease) lease).session();
        session.keepAlive(TIMEOUT);

        ZooKeeperTestSupport.expireSession(client, connect);

        await("the session is lost").atMost(Duration.ofSeconds(20)).until(() -> session.lost().isDone());
        assertThat(session.lost()).isCompletedExceptionally();
        assertThat(lease.lost()).isCompletedExceptionally();
        // GONE from the expiry event, or DEADLINE_PASSED if the connection stayed suspended past the guarantee first.
        assertThatThrownBy(() -> session.keepAlive(TIMEOUT)).isInstanceOf(LockLostException.class)
                .satisfies(e -> assertThat(((LockLostException) e).reason()).isIn(LossReason.GONE, LossReason.DEADLINE_PASSED));
        await("the client has a new session").atMost(Duration.ofSeconds(20)).until(() -> client.getZookeeperClient().isConnected());
        Lease next = driver.acquire(newId(), Duration.ofSeconds(30), TIMEOUT).orElseThrow();
        LeaseSession nextSession = ((SessionLease) next).session();
        assertThat(nextSession).as("a new session for the new holds").isNotSameAs(session);
        nextSession.keepAlive(TIMEOUT);
        assertThat(nextSession.lost()).isNotDone();
        driver.release(lease);
        driver.release(next);
    }

    @Test
    void heldMutexesAreRenewedByTheSessionAloneWithNoRequestPerHold() throws Exception {
        ZooKeeperDriver driver = track(ZooKeeperDriver.create(client));
        List<Mutex<String>> mutexes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Mutex<String> mutex = Mutex.of(newId(), Duration.ofSeconds(3), driver);
            mutex.tryLock().orElseThrow();
            mutexes.add(mutex);
        }
        traced.clear();
        // ttl 3 s: renewed every second. Five holds renewed one by one would cost ten requests a second.
        await("a few keep-alives").atMost(Duration.ofSeconds(10))
                .until(() -> traced.stream().filter(t -> t.contains("/%sessions/")).count() >= 3);
        assertThat(traced).as("keep-alive writes, and no request on any lock's node").allSatisfy(t -> assertThat(t).contains("/%sessions/"));
        assertThat(mutexes).allSatisfy(mutex -> assertThat(mutex.isHeld()).isTrue());
        mutexes.forEach(Mutex::unlock);
    }

    private static String newId() {
        return "session-it-" + UUID.randomUUID();
    }

    private <T extends AutoCloseable> T track(T resource) {
        toClose.add(resource);
        return resource;
    }
}
