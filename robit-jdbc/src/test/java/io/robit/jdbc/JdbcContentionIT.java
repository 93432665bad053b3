package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link JdbcDriver#contend}: one lock call's attempts and waits, made from different threads one
 * after another (as an asynchronous wait finished on another thread does), with what a failed attempt
 * learnt carried by the contention, not by the thread.
 */
class JdbcContentionIT {
    private static final Duration LONG_POLL = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private final ExecutorService first = Executors.newSingleThreadExecutor();
    private final ExecutorService second = Executors.newSingleThreadExecutor();
    private final AtomicInteger borrowed = new AtomicInteger();

    @AfterEach
    void stopThreads() {
        first.shutdownNow();
        second.shutdownNow();
    }

    /**
     * The attempt on one thread sees the holder's expiry; the wait on another thread sleeps until
     * it without a query of its own (no connection borrowed), and wakes there, long before the poll.
     * MariaDB only: on PostgreSQL a NOTIFY on the shared table from any other test rightly makes the
     * wait read the row again, and SQLite's acquire statement reports only a take, never the holder.
     */
    @Test
    void aWaitOnAnotherThreadUsesTheHoldersExpirySeenByTheAttempt() throws Exception {
        TestDatabases db = TestDatabases.MARIADB;
        String id = TestDatabases.freshLockId();
        try (Driver<String> holder = db.newDriver();
                JdbcDriver waiter = JdbcDriver.builder(counting(db.dataSource(""))).pollInterval(LONG_POLL).build()) {
            holder.acquire(id, Duration.ofMillis(2_000), TIMEOUT).orElseThrow(); // never released: it expires
            long start = System.nanoTime();
            try (Contention contention = waiter.contend(id, Duration.ofSeconds(60), TIMEOUT)) {
                assertThat(first.submit(contention::tryAcquire).get(30, TimeUnit.SECONDS)).isEmpty();
                int before = borrowed.get();
                second.submit(() -> {
                    contention.awaitRelease(Duration.ofSeconds(30));
                    return null;
                }).get(30, TimeUnit.SECONDS);
                assertThat(borrowed.get()).as("the wait ran no query").isEqualTo(before);
                Optional<Lease> lease = first.submit(contention::tryAcquire).get(30, TimeUnit.SECONDS);
                for (int i = 0; i < 20 && lease.isEmpty(); i++) { // the database's clock may lag ours by a little
                    contention.awaitRelease(Duration.ofSeconds(30));
                    lease = contention.tryAcquire();
                }
                assertThat(lease).as("taken after the holder's expiry").isPresent();
                waiter.release(lease.get());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("woke at the expiry, not the 5-15 s poll")
                    .isLessThan(Duration.ofMillis(4_500));
        }
    }

    /** Negative control of the counter above: the driver's own wait, with nothing learnt, reads the row. */
    @Test
    void theDriversOwnWaitReadsTheRow() throws Exception {
        TestDatabases db = TestDatabases.MARIADB;
        String id = TestDatabases.freshLockId();
        try (Driver<String> holder = db.newDriver();
                JdbcDriver waiter = JdbcDriver.builder(counting(db.dataSource(""))).pollInterval(Duration.ofMillis(20)).build()) {
            holder.acquire(id, Duration.ofSeconds(60), TIMEOUT).orElseThrow();
            int before = borrowed.get();
            waiter.awaitRelease(id, Duration.ofSeconds(5));
            assertThat(borrowed.get()).isGreaterThan(before);
        }
    }

    /** PostgreSQL: a wait parked on one thread is woken by the holder's release, and another thread takes the lock. */
    @Test
    void postgresReleaseWakesAWaitAndAnotherThreadTakesTheLock() throws Exception {
        TestDatabases pg = TestDatabases.POSTGRESQL;
        String id = TestDatabases.freshLockId();
        try (Driver<String> holder = pg.newDriver();
                JdbcDriver waiter = JdbcDriver.builder(pg.dataSource("")).pollInterval(LONG_POLL).build();
                Contention contention = waiter.contend(id, Duration.ofSeconds(60), TIMEOUT)) {
            Lease held = holder.acquire(id, Duration.ofSeconds(60), TIMEOUT).orElseThrow();
            assertThat(first.submit(contention::tryAcquire).get(30, TimeUnit.SECONDS)).isEmpty();
            CompletableFuture<Long> wokeAt = CompletableFuture.supplyAsync(() -> {
                try {
                    contention.awaitRelease(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return System.nanoTime();
            }, second);
            TimeUnit.MILLISECONDS.sleep(1_000); // let the wait park: it would sleep 10 s or more otherwise
            long releasedAt = System.nanoTime();
            holder.release(held);
            assertThat(Duration.ofNanos(wokeAt.get(30, TimeUnit.SECONDS) - releasedAt)).as("woken by NOTIFY")
                    .isLessThan(Duration.ofSeconds(5));
            Optional<Lease> lease = first.submit(contention::tryAcquire).get(30, TimeUnit.SECONDS);
            assertThat(lease).isPresent();
            waiter.release(lease.get());
        }
    }

    /** The asynchronous wait blocks its (pool) thread for a short slice at most, then tells the caller to try again. */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anAsynchronousWaitReturnsWithinASlice(TestDatabases db) throws Exception {
        String id = TestDatabases.freshLockId();
        try (Driver<String> holder = db.newDriver();
                JdbcDriver waiter = JdbcDriver.builder(db.dataSource("")).pollInterval(LONG_POLL).build();
                Contention contention = waiter.contend(id, Duration.ofSeconds(60), TIMEOUT)) {
            Lease held = holder.acquire(id, Duration.ofSeconds(60), TIMEOUT).orElseThrow();
            assertThat(contention.tryAcquire()).isEmpty();
            long start = System.nanoTime();
            CompletableFuture<Void> wait = contention.awaitReleaseAsync(Duration.ofSeconds(30));
            assertThat(wait).as("completed when it returns (JDBC has no asynchronous client)").isDone();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            holder.release(held);
        }
    }

    /** A data source that counts the connections borrowed from it. */
    private DataSource counting(DataSource real) {
        return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
            if (method.getName().equals("getConnection")) {
                borrowed.incrementAndGet();
            }
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
