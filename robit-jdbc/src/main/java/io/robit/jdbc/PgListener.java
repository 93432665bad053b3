package io.robit.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one listening connection of a PostgreSQL {@link JdbcDriver}: a daemon thread that runs
 * {@code LISTEN} on the table's channel and wakes whom a notification names: the first queued
 * waiter of a released lock, or (without a queue, or with none queued) every waiter of that lock.
 * On a lost connection it wakes everyone (a notification may have been missed) and reconnects
 * with a capped backoff. Thread-safe.
 *
 * <p>Only loaded for the PostgreSQL dialect, so the other dialects need no PostgreSQL JDBC driver.
 */
final class PgListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgListener.class);
    private static final int POLL_MILLIS = 250;

    private final ConnectionSource source;
    private final String channel;
    private final String backend;
    private final ConcurrentHashMap<String, Set<Semaphore>> waiters = new ConcurrentHashMap<>();
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

    /**
     * Registers {@code wakeUp} under {@code key}: a notification whose payload is {@code key} (a lock
     * name, or a queued waiter's name) gives it a permit. Register before checking the lock, so that no
     * release is missed.
     */
    void register(String key, Semaphore wakeUp) {
        waiters.compute(key, (name, set) -> {
            Set<Semaphore> registered = set == null ? ConcurrentHashMap.newKeySet() : set;
            registered.add(wakeUp);
            return registered;
        });
    }

    /** Removes what {@link #register} added. */
    void unregister(String key, Semaphore wakeUp) {
        waiters.computeIfPresent(key, (name, set) -> {
            set.remove(wakeUp);
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

    private void wake(String key) {
        events.incrementAndGet();
        Set<Semaphore> registered = waiters.get(key);
        if (registered != null) {
            registered.forEach(PgListener::give);
        }
    }

    private void wakeAll() {
        events.incrementAndGet();
        waiters.values().forEach(registered -> registered.forEach(PgListener::give));
    }

    /** One permit is enough to wake a waiter; more would only pile up while it is busy. */
    private static void give(Semaphore wakeUp) {
        if (wakeUp.availablePermits() == 0) {
            wakeUp.release();
        }
    }
}
