package io.robit.bench.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.jdbc.JdbcDriver;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * What one process of the JDBC benchmarks has: its own HikariCP pool (4 connections) on PostgreSQL
 * and either a Robit {@link JdbcDriver} or a Spring Integration {@link JdbcLockRegistry}, both with a
 * 30 s lease and their defaults otherwise. Not thread-safe: one thread per client.
 *
 * <p>PostgreSQL from {@code -Drobit.bench.pg} (default {@code jdbc:postgresql://127.0.0.1:5432/test})
 * and {@code -Drobit.bench.pg.user} (default {@code postgres}); {@code robit_locks} and
 * {@code int_lock} are created if missing.
 */
final class LockClient implements AutoCloseable {
    static final Duration TTL = Duration.ofSeconds(30);
    private static final String INT_LOCK_DDL = "CREATE TABLE IF NOT EXISTS INT_LOCK (LOCK_KEY CHAR(36) NOT NULL, "
            + "REGION VARCHAR(100) NOT NULL, CLIENT_ID CHAR(36), CREATED_DATE TIMESTAMP NOT NULL, "
            + "EXPIRED_AFTER TIMESTAMP NOT NULL, CONSTRAINT INT_LOCK_PK PRIMARY KEY (LOCK_KEY, REGION))";

    private final HikariDataSource dataSource;
    private final JdbcDriver driver;
    private final JdbcLockRegistry registry;
    private final Map<String, Mutex<String>> mutexes = new HashMap<>();

    /** @param impl {@code robit} or {@code spring} */
    LockClient(String impl) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(System.getProperty("robit.bench.pg", "jdbc:postgresql://127.0.0.1:5432/test"));
        config.setUsername(System.getProperty("robit.bench.pg.user", "postgres"));
        config.setMaximumPoolSize(4);
        dataSource = new HikariDataSource(config);
        switch (impl) {
            case "robit" -> {
                driver = JdbcDriver.builder(dataSource).createTableIfMissing().build();
                registry = null;
            }
            case "spring" -> {
                createIntLock();
                DefaultLockRepository repository = new DefaultLockRepository(dataSource);
                repository.setTransactionManager(new DataSourceTransactionManager(dataSource));
                repository.afterPropertiesSet();
                repository.afterSingletonsInstantiated();
                driver = null;
                registry = new JdbcLockRegistry(repository, TTL);
            }
            default -> throw new IllegalArgumentException("impl must be robit or spring, got '" + impl + "'");
        }
    }

    /** Blocks until {@code name} is locked, then unlocks it; returns the fencing token (Robit) or 0. */
    long lockUnlock(String name) throws InterruptedException {
        return lockUnlock(name, 0);
    }

    /** Blocks until {@code name} is locked, holds it {@code holdMillis}, then unlocks it. */
    long lockUnlock(String name, long holdMillis) throws InterruptedException {
        if (driver != null) {
            Mutex<String> mutex = mutexes.computeIfAbsent(name, n -> Mutex.of(n, TTL, driver));
            try (Held held = mutex.lock()) {
                hold(holdMillis);
                return held.fencingToken();
            }
        }
        Lock lock = registry.obtain(name);
        lock.lockInterruptibly();
        try {
            hold(holdMillis);
        } finally {
            lock.unlock();
        }
        return 0;
    }

    /** Blocks until {@code name} is locked; the returned handle unlocks it. */
    AutoCloseable lock(String name) throws InterruptedException {
        if (driver != null) {
            return mutexes.computeIfAbsent(name, n -> Mutex.of(n, TTL, driver)).lock();
        }
        Lock lock = registry.obtain(name);
        lock.lockInterruptibly();
        return lock::unlock;
    }

    private static void hold(long millis) throws InterruptedException {
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    private void createIntLock() {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(INT_LOCK_DDL);
        } catch (SQLException raced) {
            // Another client created it at the same moment; the repository checks it on first use.
        }
    }

    @Override
    public void close() {
        if (driver != null) {
            driver.close();
        }
        dataSource.close();
    }
}
