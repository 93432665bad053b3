package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.Secrets;
import io.robit.spi.support.UriParameters;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.StringJoiner;

/**
 * A Robit JDBC backend URI ({@link JdbcDriver#open}) read into what opening it needs: the JDBC URL
 * and connection properties, a label for messages (never the password), the dialect where the
 * scheme fixes it, and Robit's own options {@code table} and {@code createTable}. Parsing does no
 * I/O. Immutable (the properties are not shared).
 *
 * @param url the JDBC URL
 * @param properties connection properties for {@link DriverManager} (user, password, the URI's other parameters)
 * @param label names the database in messages, e.g. {@code postgresql 127.0.0.1:5432/app}
 * @param dialect the dialect, or {@code null} to detect it (MySQL and MariaDB share a scheme)
 * @param table the lease table, or {@code null} for the default
 * @param createTable whether to create the table if missing (default: SQLite yes, servers no)
 * @param sqliteFile the SQLite file, whose directory must exist before connecting; {@code null} for servers
 */
record JdbcUri(String url, Properties properties, String label, Dialect dialect, String table, boolean createTable, Path sqliteFile) {
    private static final int SQLITE_BUSY_TIMEOUT_MILLIS = 10_000;

    /**
     * @throws IllegalArgumentException the URI is malformed; the message says what is expected
     * @throws DriverException no JDBC driver for MySQL/MariaDB is on the classpath
     */
    static JdbcUri parse(String uri) {
        Objects.requireNonNull(uri, "uri must not be null");
        String scheme = uri.substring(0, Math.max(0, uri.indexOf(':'))).toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "sqlite" -> sqlite(uri);
            case "postgresql", "postgres", "mysql", "mariadb" -> server(uri, scheme);
            default -> throw new IllegalArgumentException("not a Robit JDBC URI (postgresql://, postgres://, mysql://, mariadb://, sqlite:PATH): '"
                    + Secrets.redact(uri) + "'");
        };
    }

    private static JdbcUri sqlite(String uri) {
        String rest = uri.substring("sqlite:".length());
        int queryAt = rest.indexOf('?');
        UriParameters query = UriParameters.parse("sqlite", uri, queryAt < 0 ? null : rest.substring(queryAt + 1));
        String path = queryAt < 0 ? rest : rest.substring(0, queryAt);
        if (path.startsWith("//")) {
            path = path.substring(2); // sqlite:///abs/path
        }
        if (path.isBlank()) {
            throw new IllegalArgumentException("SQLite URIs are sqlite:PATH, e.g. sqlite:/var/lib/app/locks.db; got '" + uri + "'");
        }
        String table = query.take("table").orElse(null);
        boolean createTable = query.takeBoolean("createTable").orElse(true);
        Map<String, String> params = rest(query);
        Path file = Path.of(path).toAbsolutePath();
        params.putIfAbsent("journal_mode", "WAL");
        params.putIfAbsent("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MILLIS));
        params.putIfAbsent("synchronous", "FULL");
        StringJoiner joined = new StringJoiner("&");
        params.forEach((name, value) -> joined.add(name + "=" + value));
        return new JdbcUri("jdbc:sqlite:" + file + "?" + joined, new Properties(), "sqlite " + file, Dialect.SQLITE, table, createTable, file);
    }

    private static JdbcUri server(String uri, String scheme) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed backend URI '" + Secrets.redact(uri) + "': " + Secrets.redact(e.getMessage())
                    + "; expected e.g. " + scheme + "://user:password@host:port/database", e);
        }
        if (parsed.getHost() == null || parsed.getPath() == null || parsed.getPath().length() <= 1) {
            throw new IllegalArgumentException("backend URI '" + Secrets.redact(uri) + "' needs a host and a database, e.g. "
                    + scheme + "://user:password@127.0.0.1/mydb");
        }
        UriParameters query = UriParameters.parse(scheme, uri, parsed.getRawQuery());
        String table = query.take("table").orElse(null);
        boolean createTable = query.takeBoolean("createTable").orElse(false);
        Map<String, String> params = rest(query);
        Properties properties = new Properties();
        if (parsed.getRawUserInfo() != null) {
            String[] userInfo = parsed.getRawUserInfo().split(":", 2);
            properties.setProperty("user", decode(userInfo[0]));
            if (userInfo.length == 2) {
                properties.setProperty("password", decode(userInfo[1]));
            }
        }
        boolean postgres = scheme.startsWith("postgres");
        String hostPort = parsed.getHost() + (parsed.getPort() > 0 ? ":" + parsed.getPort() : "");
        String base = "//" + hostPort + parsed.getRawPath();
        String url = postgres ? "jdbc:postgresql:" + base : mysqlUrl(base);
        JdbcSecurity.apply(url, params, properties, Secrets.redact(uri), System::getenv);
        params.forEach(properties::setProperty); // connection options go to the JDBC driver as properties
        String label = (postgres ? "postgresql" : scheme) + " " + hostPort + parsed.getRawPath();
        return new JdbcUri(url, properties, label, postgres ? Dialect.POSTGRESQL : null, table, createTable, null);
    }

    /** MariaDB Connector/J if present, else MySQL Connector/J: both speak to either server. */
    private static String mysqlUrl(String base) {
        for (String prefix : new String[] {"jdbc:mariadb:", "jdbc:mysql:"}) {
            try {
                DriverManager.getDriver(prefix + base);
                return prefix + base;
            } catch (SQLException notThisOne) {
                // try the next connector
            }
        }
        throw new DriverException("no JDBC driver for MySQL/MariaDB on the classpath: add org.mariadb.jdbc:mariadb-java-client "
                + "or com.mysql:mysql-connector-j", null);
    }

    /** The parameters for the JDBC driver, in the URI's order; each must have a value. */
    private static Map<String, String> rest(UriParameters query) {
        Map<String, String> rest = query.rest();
        rest.forEach((name, value) -> {
            if (value.isEmpty()) {
                throw query.malformed("has the parameter '" + name + "' with no value; expected name=value");
            }
        });
        return rest;
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
