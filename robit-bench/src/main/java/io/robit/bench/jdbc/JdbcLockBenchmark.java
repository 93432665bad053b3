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
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * Robit's {@code JdbcDriver} beside Spring Integration's {@code JdbcLockRegistry} (7.x) on the same
 * PostgreSQL, in the same run: acquisitions per second of a blocking lock + unlock.
 *
 * <ul>
 *   <li>{@code uncontended}: one client, its own lock name.
 *   <li>{@code contended}: 4 clients (JMH threads), each with its own connection pool and its own
 *       {@code JdbcDriver}/{@code JdbcLockRegistry}, as 4 processes would, on one lock name; each
 *       blocks in {@code lock()} until it gets it. Robit waits with LISTEN/NOTIFY; Spring's
 *       registry retries every {@code idleBetweenTries} (its default, 100 ms).
 * </ul>
 * Both use a 30 s lease and their defaults otherwise; each client has a HikariCP pool of 4.
 *
 * <p>Needs PostgreSQL at {@code -Drobit.bench.pg=jdbc:postgresql://127.0.0.1:5432/test} (user
 * {@code -Drobit.bench.pg.user=postgres}, no password); creates {@code robit_locks} and
 * {@code int_lock} if missing. Run:
 * {@code ./mvnw -q -B -pl robit-bench -am -DskipTests package && java -jar robit-bench/target/benchmarks.jar JdbcLockBenchmark -wi 2 -w 5 -i 3 -r 10 -f 1}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
public class JdbcLockBenchmark {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final String INT_LOCK_DDL = "CREATE TABLE IF NOT EXISTS INT_LOCK (LOCK_KEY CHAR(36) NOT NULL, "
            + "REGION VARCHAR(100) NOT NULL, CLIENT_ID CHAR(36), CREATED_DATE TIMESTAMP NOT NULL, "
            + "EXPIRED_AFTER TIMESTAMP NOT NULL, CONSTRAINT INT_LOCK_PK PRIMARY KEY (LOCK_KEY, REGION))";

    /** One client: what one process would have. */
    @State(Scope.Thread)
    public static class Client {
        /** robit: io.robit.jdbc.JdbcDriver; spring: Spring Integration's JdbcLockRegistry. */
        @Param({"robit", "spring"})
        public String impl;

        private HikariDataSource dataSource;
        private JdbcDriver driver;
        private JdbcLockRegistry registry;
        private final Map<String, Mutex<String>> mutexes = new HashMap<>();
        final String ownName = "bench-" + UUID.randomUUID();

        @Setup
        public void setUp() throws SQLException {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(System.getProperty("robit.bench.pg", "jdbc:postgresql://127.0.0.1:5432/test"));
            config.setUsername(System.getProperty("robit.bench.pg.user", "postgres"));
            config.setMaximumPoolSize(4);
            dataSource = new HikariDataSource(config);
            if (impl.equals("robit")) {
                driver = JdbcDriver.builder(dataSource).createTableIfMissing().build();
            } else {
                try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
                    statement.execute(INT_LOCK_DDL);
                } catch (SQLException raced) {
                    // Another client created it at the same moment.
                }
                DefaultLockRepository repository = new DefaultLockRepository(dataSource);
                repository.setTransactionManager(new DataSourceTransactionManager(dataSource));
                repository.afterPropertiesSet();
                repository.afterSingletonsInstantiated();
                registry = new JdbcLockRegistry(repository, TTL);
            }
        }

        long lockUnlock(String name) throws InterruptedException {
            if (driver != null) {
                Mutex<String> mutex = mutexes.computeIfAbsent(name, n -> Mutex.of(n, TTL, driver));
                try (Held held = mutex.lock()) {
                    return held.fencingToken();
                }
            }
            Lock lock = registry.obtain(name);
            lock.lockInterruptibly();
            lock.unlock();
            return 1;
        }

        @TearDown
        public void tearDown() {
            if (driver != null) {
                driver.close();
            }
            dataSource.close();
        }
    }

    /** One client locking and unlocking its own lock name. */
    @Benchmark
    @Threads(1)
    public long uncontended(Client client) throws InterruptedException {
        return client.lockUnlock(client.ownName);
    }

    /** Four clients taking turns on one lock name. */
    @Benchmark
    @Threads(4)
    public long contended(Client client) throws InterruptedException {
        return client.lockUnlock("bench-contended-" + client.impl);
    }
}
