package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.LockInfo;
import io.robit.spi.support.Arguments;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
    private volatile boolean closing; // takes refused: no call queues again while the driver closes
    private volatile Boolean queuePresent; // null until looked up

    JdbcStore(ConnectionSource source, Dialect dialect, String table, String backend, boolean fromUri) {
        this.source = source;
        this.dialect = dialect;
        this.table = table;
        this.sql = Statements.of(dialect, table);
        this.backend = backend;
        this.fromUri = fromUri;
    }

    /**
     * Takes the row of {@code id} for {@code owner} if it is absent, free or expired (and, with a
     * waiter queue, no other waiter is first); else queues {@code waiter} (if not null) for
     * {@code queueMillis}, or refreshes its place.
     */
    Attempt take(String id, String owner, long ttlMillis, String waiter, long queueMillis, Deadline deadline) throws InterruptedException {
        if (closing) {
            throw closedError();
        }
        QueueStatements queue = queue();
        return call("acquire", id, deadline, connection -> {
            if (queue != null) {
                try (PreparedStatement take = CallBounds.prepare(connection, queue.acquire(), deadline)) {
                    take.setString(1, id);
                    take.setString(2, owner);
                    take.setLong(3, ttlMillis);
                    take.setString(4, waiter);
                    take.setLong(5, queueMillis);
                    try (ResultSet rows = take.executeQuery()) {
                        return Attempt.read(rows, waiter != null, true);
                    }
                }
            }
            try (PreparedStatement take = CallBounds.prepare(connection, sql.acquire(), deadline)) {
                take.setString(1, id);
                take.setString(2, owner);
                take.setLong(3, ttlMillis);
                if (sql.acquireResult() == null) {
                    try (ResultSet rows = take.executeQuery()) {
                        return Attempt.read(rows, false, false);
                    }
                }
                take.executeUpdate();
            }
            try (PreparedStatement read = CallBounds.prepare(connection, sql.acquireResult(), deadline)) {
                read.setString(1, owner);
                read.setString(2, id);
                try (ResultSet rows = read.executeQuery()) {
                    return Attempt.read(rows, false, false);
                }
            }
        }, () -> giveBack(id, owner)); // the row may be ours although the answer was lost
    }

    /** Frees the row if {@code owner} still holds it; never throws (a failure leaves it to expire). */
    void giveBack(String id, String owner) {
        QueueStatements queue = queue();
        quietly("release", id, queue == null ? sql.release() : queue.release(), null, id, owner);
    }

    /**
     * Takes {@code waiter} out of the queue of {@code id}; never throws (a failure leaves its place to
     * expire). True if a release may have handed the lock to the waiter (as {@code owner}): its place
     * was not there to delete (handed over, swept, never written), the lock is that owner's, or the
     * statement failed. False if it deleted the place of a waiter that holds nothing, or there is no queue.
     */
    boolean leave(String id, String waiter, String owner) {
        QueueStatements queue = queue();
        if (queue == null) {
            return false;
        }
        boolean[] clear = {false};
        quietly("leave the queue", id, queue.leave(), rows -> {
            if (rows.next()) {
                clear[0] = rows.getLong(1) > 0 && !rows.getBoolean(3);
            }
        }, id, waiter, owner);
        return !clear[0];
    }

    /** Takes every waiter whose name starts with {@code prefix} out of every queue; never throws. */
    void leaveAll(String prefix) {
        QueueStatements queue = queuePresent == Boolean.TRUE ? sql.queue() : null;
        if (queue != null) {
            quietly("leave the queue", "*", queue.leaveAll(), null, prefix + "%");
        }
    }

    /**
     * Runs one housekeeping statement, also on an interrupted thread (and leaves it interrupted);
     * never throws: a failure is logged, and leaves the lease or the queue place to expire.
     */
    private void quietly(String operation, String lock, String statement, ResultReader reader, String... parameters) {
        if (closed.get()) {
            LOG.debug("{}: driver closed; {} of lock '{}' skipped, it expires by itself", backend, operation, lock);
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            Deadline deadline = Deadline.after(HOUSEKEEPING_TIMEOUT);
            call(operation, lock, deadline, connection -> {
                try (PreparedStatement prepared = CallBounds.prepare(connection, statement, deadline)) {
                    for (int i = 0; i < parameters.length; i++) {
                        prepared.setString(i + 1, parameters[i]);
                    }
                    if (prepared.execute() && reader != null) {
                        try (ResultSet rows = prepared.getResultSet()) {
                            reader.read(rows);
                        }
                    }
                    return null;
                }
            }, () -> { });
        } catch (RuntimeException | InterruptedException e) {
            LOG.warn("{}: {} of lock '{}' failed; it expires by itself", backend, operation, lock, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The waiter queue's statements if the queue table exists with the hand-over's columns
     * (PostgreSQL), else null. Looked up once (a failure to look is retried by the next call); a
     * missing table, or one from an earlier version, is warned about once, with the DDL to run.
     */
    QueueStatements queue() {
        Boolean present = queuePresent;
        if (present != null || sql.queue() == null) {
            return Boolean.TRUE.equals(present) ? sql.queue() : null;
        }
        String found;
        try {
            found = uninterruptedCall("look for the waiter queue", "*", Deadline.after(HOUSEKEEPING_TIMEOUT), connection -> {
                try (PreparedStatement exists = connection.prepareStatement(sql.queue().exists()); ResultSet rows = exists.executeQuery()) {
                    if (!rows.next() || !rows.getBoolean(1)) {
                        return null; // no lease table either: undecided, the caller's statement reports that
                    }
                    return !rows.getBoolean(2) ? "missing" : rows.getBoolean(3) ? "ready" : "old";
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("{}: could not look for the waiter queue table; serving waiters as they come for now", backend, e);
            return null;
        }
        if (found == null) {
            return null;
        }
        if (found.equals("missing")) {
            LOG.warn("{}: no waiter queue table '{}' beside lease table '{}': waiters are served as they come, not in arrival "
                    + "order, and every release wakes them all. Create it with createTableIfMissing() (or ?createTable=true), or run: {}",
                    backend, sql.queue().table(), table, sql.queue().createTable().replaceAll("\\s+", " "));
        } else if (found.equals("old")) {
            LOG.warn("{}: the waiter queue table '{}' is from an earlier version, without the columns of the hand-over: waiters are "
                    + "served as they come until it is upgraded by createTableIfMissing() (or ?createTable=true), or run: {}",
                    backend, sql.queue().table(), sql.queue().upgrade());
        }
        present = found.equals("ready");
        queuePresent = present;
        return present ? sql.queue() : null;
    }

    /** Extends the row of {@code id} by {@code ttlMillis} if {@code owner} still holds it unexpired. */
    boolean extend(String id, String owner, long ttlMillis, Deadline deadline) throws InterruptedException {
        return call("refresh", id, deadline, connection -> {
            try (PreparedStatement refresh = CallBounds.prepare(connection, sql.refresh(), deadline)) {
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
            try (PreparedStatement read = CallBounds.prepare(connection, sql.inspect(), deadline)) {
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
            try (PreparedStatement read = CallBounds.prepare(connection, sql.list(), deadline); ResultSet rows = read.executeQuery()) {
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

    /** Refuses every later take; the driver then takes its waiters out of the queue and marks this closed. */
    void refuseTakes() {
        closing = true;
    }

    /** Refuses every later call; true the first time only (the driver then closes its connections). */
    boolean markClosed() {
        return closed.compareAndSet(false, true);
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("the Robit JDBC driver for " + backend + " is closed");
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

    /** Reads what a housekeeping statement returned. */
    private interface ResultReader {
        void read(ResultSet rows) throws SQLException;
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
            throw closedError();
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
                CallBounds.boundNetworkWaits(connection, deadline);
                boolean autoCommit = connection.getAutoCommit();
                T result = work.run(connection);
                if (!autoCommit) {
                    connection.commit();
                }
                return result;
            } catch (SQLException e) {
                broken = true;
                CallBounds.rollbackQuietly(connection);
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
}
