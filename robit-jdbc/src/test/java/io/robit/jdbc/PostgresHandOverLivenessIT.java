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
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL's hand-over when the waiter it goes to never takes it: a waiter whose process died
 * before its queue place lapsed, a waiter whose driver closed right after the hand-over, and a live
 * waiter that paused past its offer window. Against the real server, each test on a table of its own,
 * with a 30 s ttl: the lock must not sit unused for that ttl, never have two holders, and its tokens
 * only grow.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PostgresHandOverLivenessIT {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final List<JdbcDriver> drivers = new ArrayList<>();
    private final List<Contention> contentions = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private String table;
    private String id;

    @BeforeEach
    void freshTable() {
        table = "robit_liveness_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
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
    void aLockHandedToAWaiterWhoseProcessDiedIsNotStrandedForItsTtl() throws Exception {
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
            crashed.destroyForcibly(); // SIGKILL: its place in the queue is still good for a few seconds
            driver.release(held);
            assertThat(queued()).as("the release handed the lock to the dead waiter, first in line (its place had not lapsed)").isEqualTo(1);
            assertThat(row().token()).isEqualTo(held.fencingToken() + 1);
            // The dead waiter's ttl is 30 s: the live one must get the lock well before that.
            assertThat(token.get(20, TimeUnit.SECONDS)).as("the unclaimed hand-over lapsed, then the live waiter took the lock")
                    .isEqualTo(held.fencingToken() + 2);
        } finally {
            crashed.destroyForcibly();
        }
        assertThat(crashed.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log)).as("the dead process never held it").doesNotContain("held ");
    }

    @Test
    void aDriverClosedRightAfterItsWaiterWasHandedTheLockGivesItBack() throws Exception {
        JdbcDriver driver = open();
        Lease held = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        JdbcDriver closing = open();
        Contention leaving = closing.contend(id, TTL, TIMEOUT);
        contentions.add(leaving); // closed after its driver, as the core would when its call ends
        Contention next = contend();
        assertThat(leaving.tryAcquire()).isEmpty();
        assertThat(next.tryAcquire()).isEmpty();
        driver.release(held);
        LockRow handed = row();
        assertThat(handed.isHeld()).as("handed to the first waiter, the closing driver's").isTrue();
        assertThat(handed.token()).isEqualTo(held.fencingToken() + 1);
        closing.close(); // its waiter never took the lock it was handed
        assertThat(row().isHeld()).as("given back by the closing driver, not left for the ttl").isFalse();
        assertThat(queued()).as("the next waiter is still in line").isEqualTo(1);
        Lease got = next.tryAcquire().orElseThrow();
        assertThat(got.fencingToken()).isGreaterThan(handed.token());
        driver(got).release(got);
    }

    @Test
    void aWaiterThatWakesAfterItsHandOverLapsedHoldsNothingAndTokensGrow() throws Exception {
        JdbcDriver driver = open();
        Lease held = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        Contention slow = contend();
        assertThat(slow.tryAcquire()).isEmpty();
        driver.release(held);
        assertThat(row().isHeld()).as("handed to the waiter").isTrue();
        // The waiter pauses (a long GC, say) and does not claim it.
        await("the unclaimed hand-over lapsed, long before the 30 s ttl").atMost(Duration.ofSeconds(20)).until(() -> !row().isHeld());
        Lease rival = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        assertThat(rival.fencingToken()).isEqualTo(held.fencingToken() + 2);
        assertThat(slow.tryAcquire()).as("back from its pause: the lock is the rival's, not also its own").isEmpty();
        assertThat(row().owner()).isEqualTo(((JdbcLease) rival).owner());
        driver.release(rival); // hands it to the waiter, queued again by that attempt
        long entered = System.nanoTime();
        Lease got = slow.tryAcquire().orElseThrow();
        assertThat(got.fencingToken()).isEqualTo(held.fencingToken() + 3);
        LockRow row = row();
        long read = System.nanoTime();
        assertThat(row.owner()).isEqualTo(((JdbcLease) got).owner());
        // Claimed: the lease runs for the whole ttl from the claim, which came after the attempt was sent.
        assertThat(entered + got.guaranteedTtl(TTL).toNanos()).as("the local deadline is not after the server's expiry")
                .isLessThanOrEqualTo(read + TimeUnit.MILLISECONDS.toNanos(row.remainingMillis() + 1));
        driver(got).release(got);
    }

    private Contention contend() {
        Contention contention = open().contend(id, TTL, TIMEOUT);
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
        try (Connection connection = TestDatabases.POSTGRESQL.connect();
                PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM " + QueueStatements.table(table) + " WHERE name = ?")) {
            count.setString(1, id);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }
}
