package io.robit.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one listening connection of a PostgreSQL {@link JdbcDriver}: a daemon thread that runs
 * {@code LISTEN} on the table's channel and wakes the waiters of a lock when its release is
 * notified. On a lost connection it wakes everyone (a notification may have been missed) and
 * reconnects with a capped backoff. Thread-safe.
 *
 * <p>Only loaded for the PostgreSQL dialect, so the other dialects need no PostgreSQL JDBC driver.
 */
final class PgListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgListener.class);
    private static final int POLL_MILLIS = 250;

    private final ConnectionSource source;
    private final String channel;
    private final String backend;
    private final ConcurrentHashMap<String, Set<CountDownLatch>> waiters = new ConcurrentHashMap<>();
    private final Thread thread;
    private final AtomicLong events = new AtomicLong();
    private volatile boolean listening;
    private volatile boolean closed;

    PgListener(ConnectionSource source, String channel, String backend) {
        this.source = source;
        this.channel = channel;
        this.backend = backend;
        this.thread = new Thread(this::run, "robit-pg-listen-" + channel);
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the LISTEN is in place now; while it is not, waiters must poll. */
    boolean isListening() {
        return listening;
    }

    /**
     * Counts notifications and reconnections. A waiter that saw the same count before its lock
     * check and after registering knows it missed no release of that lock in between.
     */
    long events() {
        return events.get();
    }

    /** Registers a waiter for {@code lock}, before the caller checks the lock, so no release is missed. */
    CountDownLatch register(String lock) {
        CountDownLatch latch = new CountDownLatch(1);
        waiters.compute(lock, (name, set) -> {
            Set<CountDownLatch> latches = set == null ? ConcurrentHashMap.newKeySet() : set;
            latches.add(latch);
            return latches;
        });
        return latch;
    }

    /** Removes a waiter registered with {@link #register}. */
    void unregister(String lock, CountDownLatch latch) {
        waiters.computeIfPresent(lock, (name, set) -> {
            set.remove(latch);
            return set.isEmpty() ? null : set;
        });
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(TimeUnit.MILLISECONDS.toMillis(POLL_MILLIS * 8L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        wakeAll();
    }

    private void run() {
        long backoffMillis = 100;
        while (!closed) {
            Connection connection = null;
            boolean broken = true;
            try {
                connection = source.get();
                connection.setAutoCommit(true);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN \"" + channel + "\"");
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                listening = true;
                backoffMillis = 100;
                wakeAll(); // releases before the LISTEN took effect were not heard
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
                    if (notifications != null) {
                        for (PGNotification notification : notifications) {
                            wake(notification.getParameter());
                        }
                    }
                }
                try (Statement statement = connection.createStatement()) {
                    statement.execute("UNLISTEN *"); // a pooled connection must not keep collecting notifications
                }
                broken = false;
            } catch (SQLException | RuntimeException e) {
                if (!closed) {
                    LOG.debug("{}: LISTEN connection failed; waiters poll until it is back", backend, e);
                }
            } finally {
                listening = false;
                if (connection != null) {
                    source.giveBack(connection, broken);
                }
                wakeAll();
            }
            if (!closed) {
                try {
                    TimeUnit.MILLISECONDS.sleep(backoffMillis);
                } catch (InterruptedException e) {
                    return;
                }
                backoffMillis = Math.min(backoffMillis * 2, 2_000);
            }
        }
    }

    private void wake(String lock) {
        events.incrementAndGet();
        Set<CountDownLatch> latches = waiters.get(lock);
        if (latches != null) {
            latches.forEach(CountDownLatch::countDown);
        }
    }

    private void wakeAll() {
        events.incrementAndGet();
        waiters.values().forEach(latches -> latches.forEach(CountDownLatch::countDown));
    }
}
