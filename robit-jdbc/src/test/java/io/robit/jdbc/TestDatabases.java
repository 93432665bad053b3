package io.robit.jdbc;

import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.tck.DriverFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * The databases the ITs run against: the shared PostgreSQL and MariaDB on 127.0.0.1 (overridable
 * with ROBIT_TEST_PG_JDBC / ROBIT_TEST_MARIADB_JDBC) and SQLite files in a temporary directory.
 */
enum TestDatabases implements DriverFixture<String> {
    POSTGRESQL(env("ROBIT_TEST_PG_JDBC", "jdbc:postgresql://127.0.0.1:5432/test"), "postgres", ""),
    // MariaDB Connector/J 4 asks for TLS unless told otherwise; the shared test server has none.
    MARIADB(env("ROBIT_TEST_MARIADB_JDBC", "jdbc:mariadb://127.0.0.1:3306/test?sslMode=disable"), "root", ""),
    SQLITE(null, null, null) {
        /** Every renewal is a write and a sync of one file: 250 holds renewing each second would swamp it. */
        @Override
        public Duration outageTtl() {
            return Duration.ofSeconds(15);
        }
    };

    private static final Path SQLITE_DIR = tempDir();
    /** One SQLite file per test JVM, shared by the drivers of a test as by processes on one host. */
    static final Path SQLITE_FILE = SQLITE_DIR.resolve("locks.db");

    private final String jdbcUrl;
    private final String user;
    private final String password;

    TestDatabases(String jdbcUrl, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    /** The JDBC URL of this database. */
    String jdbcUrl() {
        return this == SQLITE ? "jdbc:sqlite:" + SQLITE_FILE : jdbcUrl;
    }

    /** A Robit backend URI, e.g. {@code postgresql://postgres@127.0.0.1:5432/test?createTable=true}. */
    String robitUri() {
        return switch (this) {
            case POSTGRESQL -> withParam("postgresql://" + user + "@" + jdbcUrl.substring("jdbc:postgresql://".length()), "createTable=true");
            case MARIADB -> withParam("mariadb://" + user + "@" + jdbcUrl.substring("jdbc:mariadb://".length()), "createTable=true");
            case SQLITE -> "sqlite:" + SQLITE_FILE;
        };
    }

    /** A plain data source over this database, with {@code query} (e.g. {@code "?a=b"}) appended to the JDBC URL. */
    UrlDataSource dataSource(String query) {
        String url = query.isEmpty() ? jdbcUrl() : withParam(jdbcUrl(), query.substring(1));
        return new UrlDataSource(url, user, password);
    }

    /** The same URI with more query parameters (joined with {@code &} or {@code ?} as needed). */
    String robitUri(String moreParams) {
        return withParam(robitUri(), moreParams);
    }

    private static String withParam(String uri, String params) {
        return uri + (uri.contains("?") ? "&" : "?") + params;
    }

    /** A new driver, as a separate process would have: opened from the URI, owning its connections. */
    @Override
    public Driver<String> newDriver() {
        return Drivers.open(robitUri());
    }

    /** A plain connection of our own, as an operator's client. */
    Connection connect() throws SQLException {
        Properties properties = new Properties();
        if (user != null) {
            properties.setProperty("user", user);
            properties.setProperty("password", password);
        }
        return DriverManager.getConnection(jdbcUrl(), properties);
    }

    /** The database server's address; none for SQLite, which is a file. */
    @Override
    public Optional<InetSocketAddress> serverAddress() {
        if (this == SQLITE) {
            return Optional.empty();
        }
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        return Optional.of(new InetSocketAddress(uri.getHost(), uri.getPort()));
    }

    /** A driver like {@link #newDriver()} that connects to {@code address} instead of the server. */
    @Override
    public Driver<String> newDriverVia(InetSocketAddress address) {
        InetSocketAddress server = serverAddress().orElseThrow();
        String direct = server.getHostString() + ":" + server.getPort();
        return Drivers.open(robitUri().replace("@" + direct + "/", "@" + address.getHostString() + ":" + address.getPort() + "/"));
    }

    /** Clears the lease of {@code name} behind its holder's back, as an operator would (and notifies, on PostgreSQL). */
    @Override
    public void breakLease(String name) throws SQLException {
        try (Connection connection = connect();
                PreparedStatement clear = connection.prepareStatement(
                        "UPDATE robit_locks SET owner = NULL, expires_at_ms = NULL WHERE name = ?")) {
            clear.setString(1, name);
            clear.executeUpdate();
            if (this == POSTGRESQL) {
                try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify('robit_locks', ?)")) {
                    notify.setString(1, name);
                    notify.execute();
                }
            }
        }
    }

    static String freshLockId() {
        return "it-" + UUID.randomUUID();
    }

    /** Names every dialect must reject before I/O. */
    static List<String> badIds() {
        return List.of("", "x".repeat(JdbcDriver.MAX_NAME_LENGTH + 1), "nul\0inside", "broken\uD800surrogate");
    }

    @Override
    public String newLockId() {
        return freshLockId();
    }

    @Override
    public List<String> invalidIds() {
        return badIds();
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("robit-jdbc-it");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
