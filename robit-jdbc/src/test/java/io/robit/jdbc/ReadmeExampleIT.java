package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import io.robit.spi.LockInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The examples of docs/jdbc.md, compiled and run: the regions between the snippet markers are copied there. */
class ReadmeExampleIT {
    private final List<Long> reports = new ArrayList<>();
    private final List<String> printed = new ArrayList<>();

    @TempDir
    Path dir;

    @Test
    void hikariOnPostgres() throws Exception {
        // snippet:hikari
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://127.0.0.1:5432/test");
        config.setUsername("postgres");
        try (HikariDataSource dataSource = new HikariDataSource(config);
                JdbcDriver driver = JdbcDriver.builder(dataSource).createTableIfMissing().build()) {
            Mutex<String> mutex = Mutex.of("nightly-report", Duration.ofSeconds(30), driver);
            try (Held held = mutex.lock()) {
                writeReport(held.fencingToken()); // pass the token on, so a stale holder's writes can be refused
            }
        }
        // end::hikari
        assertThat(reports).hasSize(1).allSatisfy(token -> assertThat(token).isPositive());
    }

    @Test
    void sqliteFromAUri() throws Exception {
        Path file = dir.resolve("locks.db");
        // snippet:sqlite
        try (Driver<String> driver = Drivers.open("sqlite:" + file)) { // WAL, busy timeout, table created
            Mutex<String> mutex = Mutex.of("cleanup", Duration.ofSeconds(30), driver);
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(5));
            if (held.isPresent()) {
                try (Held h = held.get()) {
                    writeReport(h.fencingToken());
                }
            }
        }
        // end::sqlite
        assertThat(reports).containsExactly(1L);
    }

    @Test
    void listLocksAsTheCliDoes() throws Exception {
        try (Driver<String> holder = Drivers.open("sqlite:" + dir.resolve("locks.db"))) {
            Mutex<String> held = Mutex.of("cleanup", Duration.ofSeconds(30), holder);
            held.lock();
            // snippet:inspect
            try (JdbcDriver driver = (JdbcDriver) Drivers.open("sqlite:" + dir.resolve("locks.db"))) {
                for (LockInfo lock : driver.list()) {
                    print(lock.name() + (lock.held() ? " held by " + lock.owner().orElseThrow() + ", expires in " + lock.expiresIn().orElseThrow() : " free")
                            + ", last fencing token " + lock.fencingToken());
                }
            }
            // end::inspect
            held.unlock();
        }
        assertThat(printed).singleElement().asString().startsWith("cleanup held by ").endsWith(", last fencing token 1");
    }

    private void writeReport(long fencingToken) {
        reports.add(fencingToken);
    }

    private void print(String line) {
        printed.add(line);
    }
}
