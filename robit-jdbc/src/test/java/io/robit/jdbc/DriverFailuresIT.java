package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.DriverException;
import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Backend failures become a {@link DriverException} naming the dialect, the lock and the operation:
 * a missing table (with the DDL to create it), a read-only database, a lost or unreachable connection.
 */
class DriverFailuresIT {
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void missingTableSaysHowToCreateIt(TestDatabases db) {
        String table = "robit_missing_" + UUID.randomUUID().toString().substring(0, 8);
        try (JdbcDriver driver = JdbcDriver.builder(db.dataSource("")).table(table).build()) {
            assertThatThrownBy(() -> driver.acquire("job-1", TTL, TIMEOUT)).isInstanceOf(DriverException.class)
                    .hasMessageContaining(driver.dialect().label()).hasMessageContaining("acquire of lock 'job-1'")
                    .hasMessageContaining("lease table '" + table + "' does not exist")
                    .hasMessageContaining("CREATE TABLE IF NOT EXISTS " + table)
                    .hasMessageContaining("createTableIfMissing()");
            assertThatThrownBy(() -> driver.inspect("job-1")).isInstanceOf(DriverException.class)
                    .hasMessageContaining("inspect of lock 'job-1'").hasMessageContaining("does not exist");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void readOnlyDatabaseFailsWithDriverExceptionAndTakesNothing(TestDatabases db) throws Exception {
        db.newDriver().close(); // the table exists
        String readOnly = switch (db) {
            case POSTGRESQL -> "?options=-c%20default_transaction_read_only%3Don";
            case MARIADB -> "?sessionVariables=tx_read_only=1";
            case SQLITE -> "?open_mode=1";
        };
        String id = TestDatabases.freshLockId();
        try (JdbcDriver driver = JdbcDriver.builder(db.dataSource(readOnly)).build()) {
            assertThatThrownBy(() -> driver.acquire(id, TTL, TIMEOUT)).isInstanceOf(DriverException.class)
                    .hasMessageContaining(driver.dialect().label()).hasMessageContaining("acquire of lock '" + id + "'")
                    .hasMessageContaining("failed");
        }
        try (Driver<String> writable = db.newDriver()) {
            Lease lease = writable.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(lease.fencingToken()).as("the read-only attempt took nothing").isEqualTo(1);
            writable.release(lease);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.class, names = {"POSTGRESQL", "MARIADB"})
    void lostConnectionIsADriverExceptionNotALoss(TestDatabases db) throws Exception {
        // The server drops connections idle for a second, as a restart or a firewall would.
        String dropIdle = db == TestDatabases.POSTGRESQL ? "options=-c%20idle_session_timeout%3D1000" : "sessionVariables=wait_timeout=1";
        String id = TestDatabases.freshLockId();
        try (Driver<String> driver = Drivers.open(db.robitUri(dropIdle))) {
            Lease lease = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            TimeUnit.MILLISECONDS.sleep(3_000); // let the server drop the pooled connection
            assertThatThrownBy(() -> lease.refresh(TTL, TIMEOUT)).isInstanceOf(DriverException.class)
                    .hasMessageContaining(db == TestDatabases.POSTGRESQL ? "postgresql" : "mariadb")
                    .hasMessageContaining("refresh of lock '" + id + "'");
            assertThat(lease.lost()).as("a failed request is not a loss").isNotDone();
            lease.refresh(TTL, TIMEOUT); // the broken connection was dropped; a new one works
            assertThat(lease.lost()).isNotDone();
            driver.release(lease); // best effort: on a slow machine this connection may be dropped too
        }
    }

    @Test
    void unreachableServerIsADriverException() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/test?connectTimeout=2";
        try (JdbcDriver driver = JdbcDriver.builder(new UrlDataSource(url, "postgres", "")).dialect(Dialect.POSTGRESQL).build()) {
            assertThatThrownBy(() -> driver.acquire("job-2", TTL, TIMEOUT)).isInstanceOf(DriverException.class)
                    .hasMessageContaining("postgresql").hasMessageContaining("acquire of lock 'job-2'");
            driver.awaitRelease("job-2", Duration.ofMillis(100)); // waiting degrades to polling, never throws
        }
        int closedPort = port;
        assertThatThrownBy(() -> Drivers.open("mariadb://root@127.0.0.1:" + closedPort + "/test?connectTimeout=2000&sslMode=disable"))
                .isInstanceOf(DriverException.class).hasMessageContaining("mariadb");
    }

    @Test
    void unopenableSqliteFileIsADriverException() {
        Path nowhere = Path.of("/proc/robit-no-such-dir", UUID.randomUUID().toString(), "locks.db");
        try (JdbcDriver driver = JdbcDriver.builder(new UrlDataSource("jdbc:sqlite:" + nowhere, null, null)).dialect(Dialect.SQLITE).build()) {
            assertThatThrownBy(() -> driver.acquire("job-3", TTL, TIMEOUT)).isInstanceOf(DriverException.class)
                    .hasMessageContaining("sqlite").hasMessageContaining("acquire of lock 'job-3'");
        }
    }
}
