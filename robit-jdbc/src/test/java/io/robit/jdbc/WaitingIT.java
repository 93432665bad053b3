package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Waiting: PostgreSQL wakes waiters by LISTEN/NOTIFY over one connection per driver; every dialect
 * wakes a waiter at the holder's expiry rather than after its (here deliberately long) poll interval.
 */
class WaitingIT {
    private static final Duration LONG_POLL = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void postgresReleaseWakesAWaiterThroughNotify() throws Exception {
        TestDatabases pg = TestDatabases.POSTGRESQL;
        String id = TestDatabases.freshLockId();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (JdbcDriver holder = JdbcDriver.builder(pg.dataSource("")).createTableIfMissing().build();
                JdbcDriver waiter = JdbcDriver.builder(pg.dataSource("")).pollInterval(LONG_POLL).build()) {
            Lease held = holder.acquire(id, Duration.ofSeconds(60), TIMEOUT).orElseThrow();
            Future<Long> gotAt = pool.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    var lease = waiter.acquire(id, Duration.ofSeconds(60), TIMEOUT);
                    if (lease.isPresent()) {
                        waiter.release(lease.get());
                        return System.nanoTime();
                    }
                    waiter.awaitRelease(id, Duration.ofSeconds(30));
                }
                return -1L;
            });
            TimeUnit.MILLISECONDS.sleep(1_500); // the waiter is parked: no poll for 5 s or more, expiry in 60 s
            long releasedAt = System.nanoTime();
            holder.release(held);
            long at = gotAt.get(30, TimeUnit.SECONDS);
            assertThat(at).isPositive();
            assertThat(Duration.ofNanos(at - releasedAt)).as("woken by NOTIFY, not by a poll or expiry").isLessThan(Duration.ofSeconds(3));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void postgresUsesOneListeningConnectionPerDriver() throws Exception {
        TestDatabases pg = TestDatabases.POSTGRESQL;
        String app = "robit-listen-" + UUID.randomUUID().toString().substring(0, 8);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (Driver<String> holder = pg.newDriver(); Driver<String> waiter = Drivers.open(pg.robitUri("ApplicationName=" + app))) {
            List<Future<?>> waits = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String id = TestDatabases.freshLockId();
                holder.acquire(id, Duration.ofSeconds(60), TIMEOUT).orElseThrow();
                waits.add(pool.submit(() -> {
                    waiter.awaitRelease(id, Duration.ofSeconds(4));
                    return null;
                }));
            }
            await("one LISTEN connection").atMost(Duration.ofSeconds(10)).until(() -> listeners(app) == 1);
            for (Future<?> wait : waits) {
                wait.get(30, TimeUnit.SECONDS);
            }
            assertThat(listeners(app)).as("still one after all the waits").isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        await("closing the driver closes its LISTEN connection").atMost(Duration.ofSeconds(10)).until(() -> connections(app) == 0);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aWaiterWakesAtTheHoldersExpiry(TestDatabases db) throws Exception {
        String id = TestDatabases.freshLockId();
        try (Driver<String> holder = db.newDriver();
                JdbcDriver waiter = JdbcDriver.builder(db.dataSource("")).pollInterval(LONG_POLL).build()) {
            holder.acquire(id, Duration.ofMillis(1_500), TIMEOUT).orElseThrow(); // never released: it expires
            long start = System.nanoTime();
            Lease lease = null;
            for (int i = 0; i < 20 && lease == null; i++) {
                waiter.awaitRelease(id, Duration.ofSeconds(30));
                lease = waiter.acquire(id, Duration.ofSeconds(60), TIMEOUT).orElse(null);
            }
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            assertThat(lease).as("acquired after the holder's expiry").isNotNull();
            assertThat(waited).as("woke at the expiry, well before the 5-15 s poll").isLessThan(Duration.ofMillis(4_500));
            waiter.release(lease);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void awaitOnAFreeLockReturnsAtOnce(TestDatabases db) throws Exception {
        try (JdbcDriver waiter = JdbcDriver.builder(db.dataSource("")).pollInterval(LONG_POLL).build()) {
            long start = System.nanoTime();
            waiter.awaitRelease(TestDatabases.freshLockId(), Duration.ofSeconds(30));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
    }

    private static int listeners(String app) throws Exception {
        return count("SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND query LIKE 'LISTEN%'", app);
    }

    private static int connections(String app) throws Exception {
        return count("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", app);
    }

    private static int count(String sql, String app) throws Exception {
        try (Connection connection = TestDatabases.POSTGRESQL.connect(); PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, app);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }
}
