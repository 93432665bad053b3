package io.robit.jdbc;

import io.robit.DriverException;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Deque;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * The few connections of a driver opened from a URI ({@link JdbcDriver#open}): made with
 * {@link DriverManager}, up to {@code maxIdle} kept for reuse, one that failed dropped, one idle
 * for a while re-validated before reuse. Thread-safe; never blocks waiting for a connection.
 */
final class OwnedPool implements ConnectionSource {
    private static final long REVALIDATE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final String url;
    private final Properties properties;
    private final int maxIdle;
    private final Deque<Idle> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    private record Idle(Connection connection, long since) {
    }

    OwnedPool(String url, Properties properties, int maxIdle) {
        this.url = url;
        this.properties = properties;
        this.maxIdle = maxIdle;
    }

    /**
     * The pool of a driver opened from {@code uri}, with one connection made now (see
     * {@link #connectNow}); for SQLite, the file's directory is created first.
     *
     * @throws DriverException no JDBC driver on the classpath takes the URL, the directory could not be
     *     made, or the database could not be reached
     */
    static OwnedPool open(JdbcUri uri, int maxIdle) {
        String url = uri.url();
        try {
            DriverManager.getDriver(url);
        } catch (SQLException e) {
            throw new DriverException(uri.label() + ": no JDBC driver on the classpath accepts " + url.substring(0, url.indexOf(':', 5) + 1)
                    + " (add org.postgresql:postgresql, org.mariadb.jdbc:mariadb-java-client or org.xerial:sqlite-jdbc)", e);
        }
        if (uri.sqliteFile() != null && uri.sqliteFile().getParent() != null) {
            try {
                Files.createDirectories(uri.sqliteFile().getParent());
            } catch (IOException e) {
                throw new DriverException(uri.label() + ": creating the directory of the lock file failed: " + e, e);
            }
        }
        boundConnecting(url, uri.properties());
        OwnedPool pool = new OwnedPool(url, uri.properties(), maxIdle);
        try {
            pool.connectNow(uri.label());
            return pool;
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Bounds how long opening a connection may block, unless the URI set it: an unreachable server
     * that accepts the TCP connection and never answers would otherwise hold the opening thread
     * forever (the JDBC drivers' defaults wait without end for the login exchange). Ten seconds.
     */
    static void boundConnecting(String url, Properties properties) {
        if (url.startsWith("jdbc:postgresql:")) {
            // Seconds. Not loginTimeout: pgjdbc then logs in on a thread of its own per attempt and
            // leaves it blocked when the caller gives up, so an outage would grow a thread per try.
            properties.putIfAbsent("connectTimeout", "10");
            properties.putIfAbsent("socketTimeout", "10");
        } else if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
            properties.putIfAbsent("connectTimeout", "10000"); // milliseconds
            properties.putIfAbsent("socketTimeout", "10000");
        }
    }

    /**
     * Opens one connection now and keeps it idle, so a driver's first call does not spend its time
     * limit connecting (bounded by {@link #boundConnecting}'s connect timeout).
     *
     * @throws DriverException the database could not be reached; names {@code label} (never the password)
     */
    void connectNow(String label) {
        try {
            giveBack(get(), false);
        } catch (SQLException e) {
            throw new DriverException(label + ": connecting failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Connection get() throws SQLException {
        if (closed) {
            throw new SQLException("the Robit driver for " + url + " is closed");
        }
        for (Idle entry = idle.pollFirst(); entry != null; entry = idle.pollFirst()) {
            Connection connection = entry.connection();
            if (System.nanoTime() - entry.since() < REVALIDATE_AFTER_NANOS || isValid(connection)) {
                return connection;
            }
            ConnectionSource.closeQuietly(connection);
        }
        Connection connection = DriverManager.getConnection(url, properties);
        connection.setAutoCommit(true);
        return connection;
    }

    @Override
    public void giveBack(Connection connection, boolean broken) {
        if (broken || closed || idle.size() >= maxIdle || isClosed(connection)) {
            ConnectionSource.closeQuietly(connection);
            return;
        }
        idle.offerFirst(new Idle(connection, System.nanoTime()));
        if (closed) {
            drain();
        }
    }

    @Override
    public void close() {
        closed = true;
        drain();
    }

    private void drain() {
        for (Idle entry = idle.pollFirst(); entry != null; entry = idle.pollFirst()) {
            ConnectionSource.closeQuietly(entry.connection());
        }
    }

    private static boolean isValid(Connection connection) {
        try {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static boolean isClosed(Connection connection) {
        try {
            return connection.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    @Override
    public String toString() {
        return url;
    }
}
