package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Lease;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL's waiter queue ({@code <table>_waiters}): arrival order, a place given up by a call that
 * stops waiting or a driver that closes, a crashed waiter's place lapsing, and the lease table alone
 * (created by hand from older docs) still working, with waiters served as they come.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresWaiterQueueIT {
    private static final String TABLE = "robit_queue_it";
    private static final String QUEUE = TABLE + "_waiters";
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private final List<JdbcDriver> drivers = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        threads.shutdownNow();
        drivers.forEach(JdbcDriver::close);
    }

    @Test
    void waitersGetAFreedLockInArrivalOrder() throws Exception {
        String id = TestDatabases.freshLockId();
        JdbcDriver holder = open(TABLE);
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Future<?>> waiting = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int which = w;
            Mutex<String> mutex = Mutex.of(id, TTL, open(TABLE));
            waiting.add(threads.submit(() -> {
                try (Held got = mutex.lock()) {
                    order.add(which);
                }
                return null;
            }));
            int queued = w + 1;
            await("waiter " + w + " queued").atMost(Duration.ofSeconds(30)).until(() -> queued(id) == queued);
        }
        holder.release(held);
        for (Future<?> w : waiting) {
            w.get(60, TimeUnit.SECONDS);
        }
        assertThat(order).containsExactly(0, 1, 2, 3);
        assertThat(queued(id)).as("every waiter left the queue with the lock").isZero();
    }

    @Test
    void aWaiterFirstInTheQueueKeepsOthersFromAFreeLockUntilItsPlaceLapses() throws Exception {
        String id = TestDatabases.freshLockId();
        JdbcDriver driver = open(TABLE);
        driver.release(driver.acquire(id, TTL, TIMEOUT).orElseThrow()); // the row exists, the lock is free
        insertWaiter(id, "another-process:1", Duration.ofMinutes(5));
        assertThat(driver.acquire(id, TTL, TIMEOUT)).as("free, but another waiter is first").isEmpty();
        deleteWaiter(id, "another-process:1");
        driver.release(driver.acquire(id, TTL, TIMEOUT).orElseThrow());

        insertWaiter(id, "crashed-process:1", Duration.ofMillis(1_500)); // never refreshed: its place lapses
        Optional<Held> got = Mutex.of(id, TTL, driver).tryLock(Duration.ofSeconds(30));
        assertThat(got).as("taken once the crashed waiter's place lapsed").isPresent();
        got.get().close();
        assertThat(queued(id)).as("the lapsed place was swept by the take").isZero();
    }

    @Test
    void aCallThatStopsWaitingLeavesTheQueue() throws Exception {
        String id = TestDatabases.freshLockId();
        JdbcDriver holder = open(TABLE);
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        Future<Optional<Held>> waiting = queueOne(id, open(TABLE), Duration.ofSeconds(2));
        assertThat(waiting.get(60, TimeUnit.SECONDS)).as("timed out").isEmpty();
        assertThat(queued(id)).as("the timed-out call left").isZero();
        releaseAndTakeAtOnce(id, holder, held);
    }

    @Test
    void aClosingDriverTakesItsWaitersOutOfTheQueue() throws Exception {
        String id = TestDatabases.freshLockId();
        JdbcDriver holder = open(TABLE);
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        JdbcDriver leaving = open(TABLE);
        Future<Optional<Held>> waiting = queueOne(id, leaving, Duration.ofMinutes(1));
        leaving.close();
        assertThat(queued(id)).as("closing the driver took its waiter out").isZero();
        releaseAndTakeAtOnce(id, holder, held);
        waiting.cancel(true);
    }

    /** Starts a {@code tryLock(wait)} of {@code id} on {@code driver}, and returns once it is queued. */
    private Future<Optional<Held>> queueOne(String id, JdbcDriver driver, Duration wait) {
        Future<Optional<Held>> waiting = threads.submit(() -> Mutex.of(id, TTL, driver).tryLock(wait));
        await("queued").atMost(Duration.ofSeconds(30)).until(() -> queued(id) == 1);
        return waiting;
    }

    /** Nobody waits for {@code id} any more: once released, a single attempt takes it. */
    private void releaseAndTakeAtOnce(String id, JdbcDriver holder, Lease held) throws InterruptedException {
        holder.release(held);
        Optional<Held> got = Mutex.of(id, TTL, open(TABLE)).tryLock();
        assertThat(got).as("nobody is waiting: taken at once").isPresent();
        got.get().close();
    }

    /** A lease table made by hand from the DDL of before the queue: no queue table, waiters still get the lock. */
    @Test
    void withoutTheQueueTableWaitersAreServedAsTheyCome() throws Exception {
        String table = "robit_noqueue_it";
        try (Connection connection = TestDatabases.POSTGRESQL.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + QueueStatements.table(table));
            statement.execute(Statements.of(Dialect.POSTGRESQL, table).createTable());
        }
        String id = TestDatabases.freshLockId();
        JdbcDriver holder = JdbcDriver.builder(TestDatabases.POSTGRESQL.dataSource("")).table(table).build();
        drivers.add(holder);
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        JdbcDriver waiter = JdbcDriver.builder(TestDatabases.POSTGRESQL.dataSource("")).table(table).build();
        drivers.add(waiter);
        Future<Long> token = threads.submit(() -> {
            try (Held got = Mutex.of(id, TTL, waiter).lock()) {
                return got.fencingToken();
            }
        });
        assertThat(waiter.store().queue()).as("no queue in use").isNull();
        holder.release(held);
        assertThat(token.get(60, TimeUnit.SECONDS)).isGreaterThan(held.fencingToken());
        try (Connection connection = TestDatabases.POSTGRESQL.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT to_regclass('" + QueueStatements.table(table) + "') IS NULL")) {
            assertThat(rows.next() && rows.getBoolean(1)).as("the driver created no table it was not asked to").isTrue();
        }
    }

    private JdbcDriver open(String table) {
        JdbcDriver driver = JdbcDriver.open(TestDatabases.POSTGRESQL.robitUri("table=" + table));
        drivers.add(driver);
        return driver;
    }

    private static int queued(String id) throws SQLException {
        try (Connection connection = TestDatabases.POSTGRESQL.connect();
                PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM " + QUEUE + " WHERE name = ?")) {
            count.setString(1, id);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    private static void insertWaiter(String id, String waiter, Duration lasting) throws SQLException {
        String now = Statements.now(Dialect.POSTGRESQL);
        try (Connection connection = TestDatabases.POSTGRESQL.connect();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO " + QUEUE
                        + " (name, waiter, queued_at_us, expires_at_ms) VALUES (?, ?, 0, " + now + " + ?)")) {
            insert.setString(1, id);
            insert.setString(2, waiter);
            insert.setLong(3, lasting.toMillis());
            insert.executeUpdate();
        }
    }

    private static void deleteWaiter(String id, String waiter) throws SQLException {
        try (Connection connection = TestDatabases.POSTGRESQL.connect();
                PreparedStatement delete = connection.prepareStatement("DELETE FROM " + QUEUE + " WHERE name = ? AND waiter = ?")) {
            delete.setString(1, id);
            delete.setString(2, waiter);
            delete.executeUpdate();
        }
    }
}
