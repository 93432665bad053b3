package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL's direct hand-over: a release grants the lock to the first live queued waiter in its own
 * statement. Checked against the real server, each test on a table of its own: grants in arrival
 * order, a handed lease's deadline counted from before the grant (not from the wake-up), a waiter
 * that stops waiting while being handed the lock gives it back, and a crashed waiter is skipped.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PostgresHandOverIT {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final List<JdbcDriver> drivers = new ArrayList<>();
    private final List<Contention> contentions = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private String table;
    private String id;

    @BeforeEach
    void freshTable() {
        table = "robit_handover_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        id = TestDatabases.freshLockId();
    }

    @AfterEach
    void close() throws SQLException {
        threads.shutdownNow();
        contentions.forEach(Contention::close);
        drivers.forEach(JdbcDriver::close);
        try (Connection connection = TestDatabases.POSTGRESQL.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + QueueStatements.table(table));
            statement.execute("DROP TABLE IF EXISTS " + table);
        }
    }

    @Test
    void aReleaseHandsTheLockToTheQueuedWaitersInArrivalOrder() throws Exception {
        JdbcDriver driver = open();
        Lease held = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        List<JdbcContention> waiters = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            JdbcContention waiter = contend(open(), TTL);
            assertThat(waiter.tryAcquire()).as("held: waiter %d queues", w).isEmpty();
            waiters.add(waiter);
        }
        Lease previous = held;
        for (int w = 0; w < 3; w++) {
            JdbcContention waiter = waiters.get(w);
            String handedTo = waiter.owner();
            driver(previous).release(previous);
            // No attempt of the waiter ran since the release: the release statement itself granted it.
            LockRow row = row();
            assertThat(row.owner()).as("handed to waiter %d, the first in line", w).isEqualTo(handedTo);
            assertThat(row.token()).as("a hand-over is a grant: token + 1").isEqualTo(previous.fencingToken() + 1);
            assertThat(row.isHeld()).isTrue();
            Lease got = waiter.tryAcquire().orElseThrow();
            assertThat(got.fencingToken()).isEqualTo(row.token());
            assertThat(queued()).as("its place went with the grant").isEqualTo(2 - w);
            previous = got;
        }
        driver(previous).release(previous);
        assertThat(row().isHeld()).as("nobody left to hand it to: free").isFalse();
    }

    @Test
    void aHandedLeaseIsTrustedFromBeforeTheGrantNotFromTheWakeUp() throws Exception {
        Duration ttl = Duration.ofSeconds(6);
        JdbcDriver driver = open();
        Lease held = driver.acquire(id, ttl, TIMEOUT).orElseThrow();
        JdbcContention waiter = contend(open(), ttl);
        assertThat(waiter.tryAcquire()).isEmpty();
        driver.release(held);
        assertThat(row().owner()).as("handed over at the release").isEqualTo(waiter.owner());
        TimeUnit.MILLISECONDS.sleep(2_000); // a waiter slow to wake: its lease has been running all along
        long entered = System.nanoTime(); // the core's deadline counts from a reading taken before tryAcquire
        Lease got = waiter.tryAcquire().orElseThrow();
        LockRow row = row();
        long read = System.nanoTime(); // the server read the expiry below before this
        long serverExpiryBound = read + TimeUnit.MILLISECONDS.toNanos(row.remainingMillis() + 1);
        long localDeadline = entered + got.guaranteedTtl(ttl).toNanos();
        assertThat(localDeadline).as("the local deadline (entered + guaranteedTtl) is not after the server's expiry")
                .isLessThanOrEqualTo(serverExpiryBound);
        assertThat(got.guaranteedTtl(ttl)).as("about 2 s of the ttl went by before the waiter read its grant")
                .isLessThan(ttl.minusMillis(1_500)).isGreaterThan(Duration.ZERO);
        // A lease the attempt took itself is trusted for the whole ttl, counted from the attempt's send.
        driver(got).release(got);
        Lease taken = driver.acquire(id, ttl, TIMEOUT).orElseThrow();
        assertThat(taken.guaranteedTtl(ttl)).isEqualTo(ttl);
        driver.release(taken);
    }

    @Test
    void aWaiterThatStopsWaitingAfterBeingHandedTheLockHandsItOn() throws Exception {
        JdbcDriver driver = open();
        Lease held = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        JdbcContention leaving = contend(open(), TTL);
        JdbcContention next = contend(open(), TTL);
        assertThat(leaving.tryAcquire()).isEmpty();
        assertThat(next.tryAcquire()).isEmpty();
        driver.release(held);
        assertThat(row().owner()).isEqualTo(leaving.owner());
        leaving.close(); // as the core does on a timeout or an interrupt, without another attempt
        contentions.remove(leaving);
        LockRow row = row();
        assertThat(row.owner()).as("given back, and so handed on to the next waiter").isEqualTo(next.owner());
        assertThat(row.token()).isEqualTo(held.fencingToken() + 2);
        Lease got = next.tryAcquire().orElseThrow();
        driver(got).release(got);

        // Alone in the queue: given back, the lock is free at once, not held until its ttl.
        Lease again = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        JdbcContention alone = contend(open(), TTL);
        assertThat(alone.tryAcquire()).isEmpty();
        driver.release(again);
        assertThat(row().owner()).isEqualTo(alone.owner());
        alone.close();
        contentions.remove(alone);
        assertThat(row().isHeld()).as("the grant was given back").isFalse();
        assertThat(queued()).isZero();
    }

    @Test
    void waitersTimedOutOrInterruptedWhileTheLockIsHandedOverNeverStrandIt() throws Exception {
        Mutex<String> holder = Mutex.of(id, TTL, open());
        Mutex<String> waiter = Mutex.of(id, TTL, open());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int got = 0;
        for (int round = 0; round < 30; round++) {
            Held held = holder.lock();
            boolean interrupt = round % 2 == 1;
            AtomicLong started = new AtomicLong();
            CountDownLatch ended = new CountDownLatch(1);
            Future<?> waiting = threads.submit(() -> {
                started.set(System.nanoTime());
                try {
                    if (interrupt) {
                        waiter.lock();
                    } else {
                        waiter.tryLock(Duration.ofMillis(200));
                    }
                } finally {
                    ended.countDown();
                }
                return null;
            });
            // On a loaded machine a 200 ms call may end before this thread sees it queued: that round races nothing.
            await("queued").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> queued() == 1 || ended.getCount() == 0);
            // The release lands around the waiter's end: its time-out (200 ms after it began), or the interrupt.
            long releaseAt = interrupt ? System.nanoTime() + random.nextLong(0, 3_000_000) : started.get() + random.nextLong(150_000_000, 250_000_000);
            while (System.nanoTime() < releaseAt) {
                Thread.onSpinWait();
            }
            if (interrupt) {
                Future<?> release = threads.submit(held::close);
                waiting.cancel(true);
                release.get(30, TimeUnit.SECONDS);
            } else {
                held.close();
            }
            assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
            if (waiter.isHeld()) { // the waiter won the race and holds the lock, rightly
                got++;
                waiter.unlock();
            }
            // Whatever the race did, nobody holds the lock now: no grant stranded until the ttl (30 s).
            await("round " + round + ": the lock is free again").atMost(Duration.ofSeconds(10)).until(() -> !row().isHeld());
            assertThat(queued()).isZero();
        }
        System.out.println("hand-over race: the waiter got the lock in " + got + " of 30 rounds");
    }

    @Test
    void aCrashedWaiterIsSkippedOnceItsPlaceLapses() throws Exception {
        JdbcDriver driver = open();
        Lease held = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        Path log = Files.createTempFile("pg-queued-waiter", ".log");
        Process crashed = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), PgQueuedWaiter.class.getName(),
                TestDatabases.POSTGRESQL.robitUri("table=" + table), id)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await("the other process queued").atMost(Duration.ofSeconds(60)).until(() -> queued() == 1);
            Mutex<String> live = Mutex.of(id, TTL, open());
            Future<Long> token = threads.submit(() -> {
                try (Held got = live.lock()) {
                    return got.fencingToken();
                }
            });
            await("the live waiter queued behind it").atMost(Duration.ofSeconds(30)).until(() -> queued() == 2);
            crashed.destroyForcibly(); // SIGKILL: its connections close and its place is no longer refreshed
            assertThat(crashed.waitFor(30, TimeUnit.SECONDS)).isTrue();
            await("the crashed waiter's place lapsed").atMost(Duration.ofSeconds(60)).until(() -> lapsed() == 1);
            driver.release(held);
            // Had the crashed waiter been handed the lock, it would sit there for its 30 s ttl.
            assertThat(token.get(20, TimeUnit.SECONDS)).as("handed straight to the live waiter").isEqualTo(held.fencingToken() + 1);
        } finally {
            crashed.destroyForcibly();
        }
        assertThat(Files.readString(log)).as("the crashed process never held it").doesNotContain("held ");
    }

    private JdbcContention contend(JdbcDriver driver, Duration ttl) {
        JdbcContention contention = (JdbcContention) driver.contend(id, ttl, TIMEOUT);
        contentions.add(contention);
        return contention;
    }

    private JdbcDriver driver(Lease lease) {
        return ((JdbcLease) lease).driver();
    }

    private JdbcDriver open() {
        JdbcDriver driver = JdbcDriver.open(TestDatabases.POSTGRESQL.robitUri("table=" + table));
        drivers.add(driver);
        return driver;
    }

    private LockRow row() {
        return drivers.get(0).store().read(id).orElseThrow();
    }

    private int queued() throws SQLException {
        return count("");
    }

    private int lapsed() throws SQLException {
        return count(" AND expires_at_ms <= " + Statements.now(Dialect.POSTGRESQL));
    }

    private int count(String condition) throws SQLException {
        try (Connection connection = TestDatabases.POSTGRESQL.connect();
                PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM " + QueueStatements.table(table) + " WHERE name = ?" + condition)) {
            count.setString(1, id);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }
}
