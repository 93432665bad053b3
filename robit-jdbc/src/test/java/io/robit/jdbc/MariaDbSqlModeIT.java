package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.robit.spi.Lease;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The MariaDB acquire statement must not depend on the order its assignments see each other:
 * under {@code SIMULTANEOUS_ASSIGNMENT} each reads the old row. Regression (issue 12, item 5):
 * taking over an expired row reported success but left the old expiry, so a third client was
 * granted the lock at once. The mode is set per connection, never on the shared server.
 */
class MariaDbSqlModeIT {
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final TestDatabases DB = TestDatabases.MARIADB;

    @ParameterizedTest
    @ValueSource(strings = {"", "SIMULTANEOUS_ASSIGNMENT"})
    void takingAnExpiredOrFreeRowMovesItsExpiryInEverySqlMode(String extraMode) throws Exception {
        DB.newDriver().close(); // the table exists
        String id = TestDatabases.freshLockId();
        try (HikariDataSource dataSource = pool(extraMode);
                JdbcDriver driver = JdbcDriver.builder(dataSource).dialect(Dialect.MARIADB).build();
                JdbcDriver rival = JdbcDriver.builder(DB.dataSource("")).dialect(Dialect.MARIADB).build()) {
            try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                    ResultSet mode = statement.executeQuery("SELECT @@SESSION.sql_mode")) {
                mode.next();
                if (extraMode.isEmpty()) {
                    assertThat(mode.getString(1)).doesNotContain("SIMULTANEOUS_ASSIGNMENT");
                } else {
                    assertThat(mode.getString(1)).as("the mode under test is in force on the driver's connections").contains(extraMode);
                }
            }
            seedExpiredHolder(id);

            Lease taken = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(taken.fencingToken()).isEqualTo(6);
            assertThat(remainingMillis(id)).as("the takeover moved the expiry to now + ttl").isGreaterThan(TTL.toMillis() / 2);
            assertThat(rival.acquire(id, TTL, TIMEOUT)).as("no second holder while the takeover's lease runs").isEmpty();

            driver.release(taken);
            Lease again = driver.acquire(id, TTL, TIMEOUT).orElseThrow();
            assertThat(again.fencingToken()).isEqualTo(7);
            assertThat(remainingMillis(id)).as("taking a free row sets the expiry too").isGreaterThan(TTL.toMillis() / 2);
            assertThat(rival.acquire(id, TTL, TIMEOUT)).isEmpty();
            driver.release(again);
        }
    }

    private static HikariDataSource pool(String extraMode) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(DB.jdbcUrl());
        config.setUsername("root");
        config.setPassword("");
        config.setMaximumPoolSize(2);
        if (!extraMode.isEmpty()) {
            config.setConnectionInitSql("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, '," + extraMode + "')");
        }
        return new HikariDataSource(config);
    }

    /** A holder whose lease ran out long ago, with token 5, as a crashed client leaves it. */
    private static void seedExpiredHolder(String id) throws Exception {
        try (Connection connection = DB.connect(); PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO robit_locks (name, owner, fencing_token, expires_at_ms) VALUES (?, 'crashed-client', 5, 1)")) {
            insert.setString(1, id);
            insert.executeUpdate();
        }
    }

    /** The lease's remaining time by the server's clock. */
    private static long remainingMillis(String id) throws Exception {
        try (Connection connection = DB.connect(); PreparedStatement select = connection.prepareStatement(
                "SELECT expires_at_ms - " + Statements.now(Dialect.MARIADB) + " FROM robit_locks WHERE name = ?")) {
            select.setString(1, id);
            try (ResultSet row = select.executeQuery()) {
                assertThat(row.next()).isTrue();
                return row.getLong(1);
            }
        }
    }
}
