package io.robit.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one unit of SQL work of a {@link JdbcDriver} on a borrowed connection: commits if the
 * connection is not in autocommit, retries transient failures until the call's deadline, drops the
 * connection after a failure, and turns failures into {@link io.robit.DriverException}s. Thread-safe.
 */
final class SqlCalls {
    private static final Logger LOG = LoggerFactory.getLogger(SqlCalls.class);

    private final ConnectionSource source;
    private final Dialect dialect;
    private final String table;
    private final String backend;
    private final AtomicBoolean closed;
    private final boolean fromUri;

    SqlCalls(ConnectionSource source, Dialect dialect, String table, String backend, AtomicBoolean closed, boolean fromUri) {
        this.fromUri = fromUri;
        this.source = source;
        this.dialect = dialect;
        this.table = table;
        this.backend = backend;
        this.closed = closed;
    }

    /** One unit of SQL work on one borrowed connection. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work}. A failure that may have taken effect (lost connection, cancelled
     * statement) runs {@code onUncertain} first, so the caller can undo it.
     *
     * @throws io.robit.DriverException the work failed; names the dialect, the lock and the operation
     * @throws IllegalStateException the driver is closed
     * @throws InterruptedException the thread was interrupted before or between attempts
     */
    <T> T call(String operation, String lock, Deadline deadline, Work<T> work, Runnable onUncertain) throws InterruptedException {
        if (closed.get()) {
            throw new IllegalStateException("the Robit JDBC driver for " + backend + " is closed");
        }
        for (int attempt = 1; ; attempt++) {
            if (Thread.interrupted()) {
                throw new InterruptedException(operation + " of lock '" + lock + "' interrupted");
            }
            Connection connection;
            try {
                connection = source.get();
            } catch (SQLException e) {
                throw Failures.translate(dialect, backend, table, operation, lock, e, fromUri);
            }
            boolean broken = false;
            try {
                boundNetworkWaits(connection, deadline);
                boolean autoCommit = connection.getAutoCommit();
                T result = work.run(connection);
                if (!autoCommit) {
                    connection.commit();
                }
                return result;
            } catch (SQLException e) {
                broken = true;
                rollbackQuietly(connection);
                if (Failures.isTransient(dialect, e) && deadline.remainingNanos() > 0 && attempt < 1_000) {
                    LOG.debug("{}: {} of lock '{}' hit a transient failure; retrying", backend, operation, lock, e);
                    long pauseMillis = ThreadLocalRandom.current().nextLong(2, 20);
                    TimeUnit.MILLISECONDS.sleep(Math.min(pauseMillis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos()))));
                    continue;
                }
                if (Failures.isUncertain(e)) {
                    onUncertain.run();
                }
                throw Failures.translate(dialect, backend, table, operation, lock, e, fromUri);
            } finally {
                source.giveBack(connection, broken);
            }
        }
    }

    /**
     * Bounds every socket read of this call by what is left of {@code deadline}, in milliseconds:
     * the query timeout alone counts whole seconds and relies on the server answering a cancel,
     * which an unreachable server never does, so without this a call could block its thread forever.
     */
    private static void boundNetworkWaits(Connection connection, Deadline deadline) throws SQLException {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos())));
        try {
            connection.setNetworkTimeout(Runnable::run, millis);
        } catch (SQLFeatureNotSupportedException | UnsupportedOperationException noNetwork) {
            // SQLite: a file, no socket to bound.
        }
    }

    /**
     * A statement whose JDBC query timeout is what is left of {@code deadline}, in whole seconds
     * rounded up. Where the connection's reads are bounded by the network timeout (servers), one
     * second more: then the network timeout always ends a call to a silent server first, before
     * pgjdbc starts a cancel that it would wait for (up to its 10 s cancelSignalTimeout) on a
     * server that cannot be reached.
     */
    static PreparedStatement prepare(Connection connection, String statement, Deadline deadline) throws SQLException {
        PreparedStatement prepared = connection.prepareStatement(statement);
        prepared.setQueryTimeout(deadline.seconds() + (hasNetworkTimeout(connection) ? 1 : 0));
        return prepared;
    }

    private static boolean hasNetworkTimeout(Connection connection) {
        try {
            return connection.getNetworkTimeout() > 0;
        } catch (SQLException | UnsupportedOperationException noNetwork) {
            return false;
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException ignored) {
            // The connection is dropped as broken anyway.
        }
    }

    /** A per-call time budget, measured on this JVM's monotonic clock. */
    record Deadline(long atNanos) {
        /**
         * @throws IllegalArgumentException unless {@code timeout} is positive
         */
        static Deadline after(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout must not be null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            return new Deadline(System.nanoTime() + Math.min(timeout.toNanos(), TimeUnit.DAYS.toNanos(1)));
        }

        long remainingNanos() {
            return atNanos - System.nanoTime();
        }

        /** JDBC's query timeout: whole seconds, at least 1 (0 would mean none). */
        int seconds() {
            return (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(remainingNanos() + 999_999_999L));
        }
    }
}
