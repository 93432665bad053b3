package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.Driver;
import io.robit.spi.DriverProvider;
import io.robit.spi.Secrets;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Opens {@code postgresql://}, {@code postgres://}, {@code mysql://}, {@code mariadb://} and
 * {@code sqlite:PATH} URIs for {@link io.robit.Drivers#open}. The driver it returns owns a few
 * connections made with {@link DriverManager} (the JDBC driver jar must be on the classpath) and
 * closes them on {@link Driver#close()}. It connects once when opened (bounded by the connect timeout,
 * see {@link OwnedPool#boundConnecting}) and keeps that connection for the first call, which then does
 * not spend its time limit connecting; an unreachable server is a {@link io.robit.DriverException} at open.
 *
 * <p>URIs: {@code postgresql://user:password@host:5432/db}, {@code mysql://root@host:3306/db}
 * (through MariaDB Connector/J if present, else MySQL Connector/J), {@code sqlite:/var/lib/app/locks.db}.
 * Robit's own query parameters: {@code table=NAME} (default {@code robit_locks}) and
 * {@code createTable=true|false} (default {@code true} for SQLite, whose file is Robit's own, and
 * {@code false} for servers); security ({@link JdbcSecurity}): {@code cacert}, {@code cert}, {@code key},
 * {@code passwordFile}, {@code passwordEnv}; the rest go to the JDBC driver. SQLite files are opened in WAL mode
 * with a busy timeout and {@code synchronous=FULL}, so tokens survive a power loss.
 */
public final class JdbcDriverProvider implements DriverProvider {
    private static final int MAX_IDLE = 4;
    private static final int SQLITE_BUSY_TIMEOUT_MILLIS = 10_000;

    /** For {@link java.util.ServiceLoader}. */
    public JdbcDriverProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("postgresql", "postgres", "mysql", "mariadb", "sqlite");
    }

    @Override
    public Driver<String> open(String uri) {
        String scheme = uri.substring(0, Math.max(0, uri.indexOf(':'))).toLowerCase(Locale.ROOT);
        return scheme.equals("sqlite") ? openSqlite(uri) : openServer(uri, scheme);
    }

    private static Driver<String> openSqlite(String uri) {
        String rest = uri.substring("sqlite:".length());
        int query = rest.indexOf('?');
        Map<String, String> params = parseQuery(query < 0 ? null : rest.substring(query + 1), uri);
        String path = query < 0 ? rest : rest.substring(0, query);
        if (path.startsWith("//")) {
            path = path.substring(2); // sqlite:///abs/path
        }
        if (path.isBlank()) {
            throw new IllegalArgumentException("SQLite URIs are sqlite:PATH, e.g. sqlite:/var/lib/app/locks.db; got '" + uri + "'");
        }
        String table = params.remove("table");
        boolean createTable = Boolean.parseBoolean(params.getOrDefault("createtable", "true"));
        params.remove("createtable");
        Path file = Path.of(path).toAbsolutePath();
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
        } catch (IOException e) {
            throw new DriverException("sqlite " + file + ": creating the directory of the lock file failed: " + e, e);
        }
        params.putIfAbsent("journal_mode", "WAL");
        params.putIfAbsent("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MILLIS));
        params.putIfAbsent("synchronous", "FULL");
        String url = "jdbc:sqlite:" + file + "?" + joinQuery(params);
        return build(url, new Properties(), "sqlite " + file, Dialect.SQLITE, table, createTable);
    }

    private static Driver<String> openServer(String uri, String scheme) {
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
        Map<String, String> params = parseQuery(parsed.getRawQuery(), uri);
        String table = params.remove("table");
        boolean createTable = Boolean.parseBoolean(params.getOrDefault("createtable", "false"));
        params.remove("createtable");
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
        return build(url, properties, label, postgres ? Dialect.POSTGRESQL : null, table, createTable);
    }

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

    private static Driver<String> build(String url, Properties properties, String label, Dialect dialect, String table, boolean createTable) {
        try {
            DriverManager.getDriver(url);
        } catch (SQLException e) {
            throw new DriverException(label + ": no JDBC driver on the classpath accepts " + url.substring(0, url.indexOf(':', 5) + 1)
                    + " (add org.postgresql:postgresql, org.mariadb.jdbc:mariadb-java-client or org.xerial:sqlite-jdbc)", e);
        }
        OwnedPool.boundConnecting(url, properties);
        OwnedPool pool = new OwnedPool(url, properties, MAX_IDLE);
        try {
            pool.connectNow(label);
            JdbcDriver.Builder builder = JdbcDriver.builder(pool, label);
            if (dialect != null) {
                builder.dialect(dialect);
            }
            if (table != null) {
                builder.table(table);
            }
            if (createTable) {
                builder.createTableIfMissing();
            }
            return builder.build();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private static Map<String, String> parseQuery(String query, String uri) {
        Map<String, String> params = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return params;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("query parameter '" + pair + "' in '" + Secrets.redact(uri) + "' must be name=value");
            }
            String name = decode(pair.substring(0, eq));
            String lower = name.toLowerCase(Locale.ROOT);
            params.put(lower.equals("table") || lower.equals("createtable") ? lower : name, decode(pair.substring(eq + 1)));
        }
        return params;
    }

    private static String joinQuery(Map<String, String> params) {
        StringJoiner joined = new StringJoiner("&");
        params.forEach((name, value) -> joined.add(name + "=" + value));
        return joined.toString();
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
