package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.LockInfo;
import io.robit.spi.support.Arguments;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease table of a {@link JdbcDriver}: each operation (take, give back, extend, read, list) is
 * one unit of SQL work from {@link Statements} on a connection borrowed for that call and given back
 * at once. A unit commits if the connection is not in autocommit, retries transient failures until
 * the call's deadline, drops the connection after a failure, and turns failures into
 * {@link DriverException}s naming the dialect, the lock and the operation. Thread-safe.
 */
final class JdbcStore {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcStore.class);
    /** Bounds the calls that have no caller's timeout: release, inspect, list. */
    static final Duration HOUSEKEEPING_TIMEOUT = Duration.ofSeconds(5);
    /** Shared by every waiter and retry: pauses are tens of milliseconds, so its contention is nil, and no state is tied to a thread. */
    private static final Random JITTER = new Random();
    private static final String PROCESS = processName();

    private final ConnectionSource source;
    private final Dialect dialect;
    private final String table;
    private final Statements sql;
    private final String backend;
    private final boolean fromUri;
    private final AtomicBoolean closed = new AtomicBoolean();

    JdbcStore(ConnectionSource source, Dialect dialect, String table, String backend, boolean fromUri) {
        this.source = source;
        this.dialect = dialect;
        this.table = table;
        this.sql = Statements.of(dialect, table);
        this.backend = backend;
        this.fromUri = fromUri;
    }

    /** The outcome of one take: the new token, or the holder's remaining time if known. */
    record Attempt(Long token, Long remainingMillis) {
        static Attempt read(ResultSet rows) throws SQLException {
            if (!rows.next()) {
                return new Attempt(null, null);
            }
            long token = rows.getLong(1);
            Long taken = rows.wasNull() ? null : token;
            long remaining = rows.getLong(2);
            return new Attempt(taken, rows.wasNull() ? null : remaining);
        }
    }

    /** Takes the row of {@code id} for {@code owner} if it is absent, free or expired. */
    Attempt take(String id, String owner, long ttlMillis, Deadline deadline) throws InterruptedException {
        return call("acquire", id, deadline, connection -> {
            try (PreparedStatement take = prepare(connection, sql.acquire(), deadline)) {
                take.setString(1, id);
                take.setString(2, owner);
                take.setLong(3, ttlMillis);
                if (sql.acquireResult() == null) {
                    try (ResultSet rows = take.executeQuery()) {
                        return Attempt.read(rows);
                    }
                }
                take.executeUpdate();
            }
            try (PreparedStatement read = prepare(connection, sql.acquireResult(), deadline)) {
                read.setString(1, owner);
                read.setString(2, id);
                try (ResultSet rows = read.executeQuery()) {
                    return Attempt.read(rows);
                }
            }
        }, () -> giveBack(id, owner)); // the row may be ours although the answer was lost
    }

    /** Frees the row if {@code owner} still holds it; never throws (a failure leaves it to expire). */
    void giveBack(String id, String owner) {
        if (closed.get()) {
            LOG.debug("{}: driver closed; lease on '{}' left to expire", backend, id);
            return;
        }
        boolean interrupted = Thread.interrupted(); // release must happen even on an interrupted thread
        try {
            Deadline deadline = Deadline.after(HOUSEKEEPING_TIMEOUT);
            call("release", id, deadline, connection -> {
                try (PreparedStatement release = prepare(connection, sql.release(), deadline)) {
                    release.setString(1, id);
                    release.setString(2, owner);
                    return release.execute();
                }
            }, () -> { });
        } catch (RuntimeException | InterruptedException e) {
            LOG.warn("{}: release of lock '{}' failed; the lease will expire by its ttl", backend, id, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Extends the row of {@code id} by {@code ttlMillis} if {@code owner} still holds it unexpired. */
    boolean extend(String id, String owner, long ttlMillis, Deadline deadline) throws InterruptedException {
        return call("refresh", id, deadline, connection -> {
            try (PreparedStatement refresh = prepare(connection, sql.refresh(), deadline)) {
                refresh.setLong(1, ttlMillis);
                refresh.setString(2, id);
                refresh.setString(3, owner);
                return refresh.executeUpdate() == 1;
            }
        }, () -> { });
    }

    /** The row of lock {@code id} as the database sees it now; empty if the lock was never taken. */
    Optional<LockRow> read(String id) {
        Deadline deadline = Deadline.after(HOUSEKEEPING_TIMEOUT);
        return uninterruptedCall("inspect", id, deadline, connection -> {
            try (PreparedStatement read = prepare(connection, sql.inspect(), deadline)) {
                read.setString(1, id);
                try (ResultSet rows = read.executeQuery()) {
                    return rows.next() ? Optional.of(LockRow.read(rows)) : Optional.<LockRow>empty();
                }
            }
        });
    }

    /** Every row of the lease table, by name. */
    List<LockInfo> list() {
        Deadline deadline = Deadline.after(HOUSEKEEPING_TIMEOUT);
        return uninterruptedCall("list", "*", deadline, connection -> {
            List<LockInfo> all = new ArrayList<>();
            try (PreparedStatement read = prepare(connection, sql.list(), deadline); ResultSet rows = read.executeQuery()) {
                while (rows.next()) {
                    all.add(LockRow.read(rows).toLockInfo());
                }
            }
            return List.copyOf(all);
        });
    }

    /** The LISTEN/NOTIFY channel (PostgreSQL), else {@code null}. */
    String channel() {
        return sql.channel();
    }

    ConnectionSource source() {
        return source;
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Refuses every later call; true the first time only (the driver then closes its connections). */
    boolean markClosed() {
        return closed.compareAndSet(false, true);
    }

    /** A unique owner for one attempt: this process ("pid@host") and a random part. */
    static String newOwner() {
        return PROCESS + "/" + UUID.randomUUID();
    }

    /**
     * {@code ttl} in whole milliseconds, rounded up so never shorter than asked.
     *
     * @throws IllegalArgumentException unless {@code ttl} is positive
     */
    static long ttlMillis(Duration ttl) {
        Arguments.positive("ttl", ttl);
        long millis = ttl.toMillis();
        return ttl.minusMillis(millis).isZero() ? millis : millis + 1;
    }

    /** A duration drawn uniformly from [{@code nanos}/2, 3·{@code nanos}/2), so waiters do not poll in step. */
    static long jittered(long nanos) {
        return nanos / 2 + nextLong(Math.max(1, nanos));
    }

    private static long nextLong(long bound) {
        return (long) (JITTER.nextDouble() * bound);
    }

    private static String processName() {
        String name = ManagementFactory.getRuntimeMXBean().getName(); // "pid@host"
        return name.length() > 200 ? name.substring(0, 200) : name;
    }

    /** One unit of SQL work on one borrowed connection. */
    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private <T> T uninterruptedCall(String operation, String lock, Deadline deadline, Work<T> work) {
        try {
            return call(operation, lock, deadline, work, () -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(backend, lock, operation, e);
        }
    }

    /**
     * Runs {@code work}. A failure that may have taken effect (lost connection, cancelled
     * statement) runs {@code onUncertain} first, so the caller can undo it.
     *
     * @throws DriverException the work failed
     * @throws IllegalStateException the driver is closed
     * @throws InterruptedException the thread was interrupted before or between attempts
     */
    private <T> T call(String operation, String lock, Deadline deadline, Work<T> work, Runnable onUncertain) throws InterruptedException {
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
                    long pauseMillis = 2 + nextLong(18);
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
    private static PreparedStatement prepare(Connection connection, String statement, Deadline deadline) throws SQLException {
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
            Arguments.positive("timeout", timeout);
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
