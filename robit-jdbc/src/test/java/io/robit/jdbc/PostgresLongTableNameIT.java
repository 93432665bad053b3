package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.Held;
import io.robit.Mutex;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A valid schema-qualified table name longer than PostgreSQL's 63-byte identifiers. Regression
 * (issue 12, item 6): its {@code pg_notify} channel was the table name, too long, so every release
 * failed and each lock stayed taken until its ttl.
 */
class PostgresLongTableNameIT {
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final TestDatabases DB = TestDatabases.POSTGRESQL;

    private final String schema = "robit_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "_with_a_long_schema_name";
    private final String table = schema + ".robit_locks_of_the_nightly_batch_jobs";

    @BeforeEach
    void createSchema() throws Exception {
        assertThat(table.length()).as("longer than a PostgreSQL identifier").isGreaterThan(Statements.MAX_CHANNEL_BYTES);
        try (Connection connection = DB.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        }
    }

    @AfterEach
    void dropSchema() throws Exception {
        try (Connection connection = DB.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    @Test
    void releaseFreesTheLockAndWakesTheWaiter() throws Exception {
        String id = TestDatabases.freshLockId();
        try (JdbcDriver holderDriver = driver(); JdbcDriver waiterDriver = driver(); JdbcDriver rivalDriver = driver()) {
            Mutex<String> holder = Mutex.of(id, TTL, holderDriver);
            Held first = holder.tryLock().orElseThrow();
            holder.unlock();
            Mutex<String> rival = Mutex.of(id, TTL, rivalDriver);
            Held second = rival.tryLock().orElseThrow(() -> new AssertionError("the release did not free the lock"));
            assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());

            Mutex<String> waiter = Mutex.of(id, TTL, waiterDriver);
            CompletableFuture<Optional<Held>> waited = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiter.tryLock(TTL.multipliedBy(2));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // The waiter is blocked by the held lock, then woken by the release's notification,
            // far sooner than the 60 s ttl after which it would find the row expired.
            assertThat(waited).isNotCompleted();
            long released = System.nanoTime();
            rival.unlock();
            Held third = waited.get(40, TimeUnit.SECONDS).orElseThrow();
            assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(TTL.dividedBy(2));
            assertThat(third.fencingToken()).isGreaterThan(second.fencingToken());
            waiter.unlock();
        }
    }

    private JdbcDriver driver() {
        return JdbcDriver.builder(DB.dataSource("")).table(table).createTableIfMissing().build();
    }
}
