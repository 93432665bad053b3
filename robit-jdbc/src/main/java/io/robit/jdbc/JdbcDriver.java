package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.jdbc.SqlCalls.Deadline;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Robit driver for SQL databases: PostgreSQL, MySQL, MariaDB and SQLite, over any
 * {@link DataSource} (HikariCP or a plain one), with one code path and a {@link Dialect} for the SQL.
 *
 * <p>One row per lock name in a lease table (default {@code robit_locks}; DDL from
 * {@link Dialect#createTableSql}). Acquire is one upsert that takes the row if it is absent, free or
 * expired and bumps its fencing token; refresh and release check the owner; release clears the
 * owner but keeps the row, so tokens keep growing. Expiry is judged by the <b>database server's
 * clock</b>, never this JVM's. Every call borrows a connection and gives it back at once,
 * autocommit; no session-bound advisory locks, so poolers are fine.
 *
 * <p>Waiting: on PostgreSQL one LISTEN connection per driver (taken from the data source on the
 * first wait and held until {@link #close()}) wakes waiters when a lock is released, with a timed
 * wake at the holder's expiry; on the others a waiter sleeps until the holder's expiry or a short
 * jittered poll interval, whichever is first.
 *
 * <p>Thread-safe. A driver made by {@link #create}/{@link #builder} never closes the user's data
 * source; one opened from a URI ({@link JdbcDriverProvider}) owns its connections.
 */
public final class JdbcDriver implements Driver<String>, Inspectable<String> {
    /** The longest lock name, in code points (the {@code VARCHAR(255)} name column). */
    public static final int MAX_NAME_LENGTH = 255;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcDriver.class);
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(5);
    private static final String PROCESS = processName();
    private static final long CONTENTION_FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final ThreadLocal<Contention> LAST_CONTENTION = new ThreadLocal<>();

    private final ConnectionSource source;
    private final Dialect dialect;
    private final String table;
    private final Statements sql;
    private final String backend;
    private final Duration pollInterval;
    private final ReentrantLock listenerLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SqlCalls calls;
    private volatile PgListener listener;

    private JdbcDriver(ConnectionSource source, Dialect dialect, String table, String backend, Duration pollInterval, boolean fromUri) {
        this.source = source;
        this.dialect = dialect;
        this.table = table;
        this.sql = Statements.of(dialect, table);
        this.backend = backend;
        this.pollInterval = pollInterval;
        this.calls = new SqlCalls(source, dialect, table, backend, closed, fromUri);
    }

    /**
     * A driver over {@code dataSource} with the default table, the dialect detected from the
     * database (this connects once). The table must exist; see {@link Builder#createTableIfMissing()}.
     *
     * @throws DriverException the database could not be reached or is not supported
     */
    public static JdbcDriver create(DataSource dataSource) {
        return builder(dataSource).build();
    }

    /** A builder for a driver over {@code dataSource}, which the driver will never close. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(ConnectionSource.of(Objects.requireNonNull(dataSource, "dataSource must not be null")), null);
    }

    static Builder builder(ConnectionSource source, String where) {
        return new Builder(source, where);
    }

    /** The dialect in use. */
    public Dialect dialect() {
        return dialect;
    }

    /** The lease table's name. */
    public String table() {
        return table;
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        validate(id);
        long ttlMillis = ttlMillis(ttl);
        Deadline deadline = Deadline.after(timeout);
        String owner = PROCESS + "/" + UUID.randomUUID();
        PgListener pg = listener;
        long eventsBefore = pg == null ? -1 : pg.events(); // read before the statement: see awaitRelease
        Attempt attempt = calls.call("acquire", id, deadline, connection -> takeRow(connection, id, owner, ttlMillis, deadline),
                () -> giveBack(id, owner)); // the row may be ours although the answer was lost
        if (attempt.token() == null) {
            // The core's next call on this thread is awaitRelease(id): tell it the holder's expiry.
            long now = System.nanoTime();
            LAST_CONTENTION.set(attempt.remainingMillis() == null ? null
                    : new Contention(this, id, now, now + TimeUnit.MILLISECONDS.toNanos(Math.max(0, attempt.remainingMillis())), eventsBefore));
            return Optional.empty();
        }
        LAST_CONTENTION.remove();
        JdbcLease lease = new JdbcLease(this, id, owner, attempt.token());
        if (Thread.interrupted()) {
            release(lease); // the SPI promises an interrupted acquire took nothing
            throw new InterruptedException("interrupted while acquiring lock '" + id + "'");
        }
        return Optional.of(lease);
    }

    /** The outcome of one acquire statement: the new token, or the holder's remaining time if known. */
    private record Attempt(Long token, Long remainingMillis) {
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

    /**
     * What a failed acquire on this thread learnt about the holder, for the awaitRelease that
     * follows: when it was seen, when the holder's lease expires, and the LISTEN connection's event
     * count before the statement ran (-1 if it was not running).
     */
    private record Contention(JdbcDriver driver, String name, long seenAtNanos, long expiresAtNanos, long eventsBefore) {
    }

    private Attempt takeRow(Connection connection, String id, String owner, long ttlMillis, Deadline deadline) throws SQLException {
        try (PreparedStatement take = SqlCalls.prepare(connection, sql.acquire(), deadline)) {
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
        try (PreparedStatement read = SqlCalls.prepare(connection, sql.acquireResult(), deadline)) {
            read.setString(1, owner);
            read.setString(2, id);
            try (ResultSet rows = read.executeQuery()) {
                return Attempt.read(rows);
            }
        }
    }

    @Override
    public void release(Lease lease) {
        if (!(lease instanceof JdbcLease jdbc) || jdbc.driver() != this) {
            LOG.warn("{}: release of a lease this driver did not grant ignored: {}", backend, lease);
            return;
        }
        if (!jdbc.markReleased()) {
            return; // released before: a second release is a no-op
        }
        giveBack(jdbc.name(), jdbc.owner());
    }

    /** Frees the row if {@code owner} still holds it; never throws (a failure leaves it to expire). */
    private void giveBack(String id, String owner) {
        if (closed.get()) {
            LOG.debug("{}: driver closed; lease on '{}' left to expire", backend, id);
            return;
        }
        boolean interrupted = Thread.interrupted(); // release must happen even on an interrupted thread
        try {
            calls.call("release", id, Deadline.after(RELEASE_TIMEOUT), connection -> {
                try (PreparedStatement release = SqlCalls.prepare(connection, sql.release(), Deadline.after(RELEASE_TIMEOUT))) {
                    release.setString(1, id);
                    release.setString(2, owner);
                    release.execute();
                }
                return null;
            }, () -> { });
        } catch (RuntimeException | InterruptedException e) {
            LOG.warn("{}: release of lock '{}' failed; the lease will expire by its ttl", backend, id, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Extends {@code lease}; 1 row updated means still ours. Called by {@link JdbcLease#refresh}. */
    boolean extend(JdbcLease lease, Duration ttl, Duration timeout) throws InterruptedException {
        long ttlMillis = ttlMillis(ttl);
        Deadline deadline = Deadline.after(timeout);
        return calls.call("refresh", lease.name(), deadline, connection -> {
            try (PreparedStatement refresh = SqlCalls.prepare(connection, sql.refresh(), deadline)) {
                refresh.setLong(1, ttlMillis);
                refresh.setString(2, lease.name());
                refresh.setString(3, lease.owner());
                return refresh.executeUpdate() == 1;
            }
        }, () -> { });
    }

    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        validate(id);
        long maxNanos = maxWait.toNanos();
        if (maxNanos <= 0) {
            return;
        }
        long pollNanos = jittered(pollInterval.toNanos());
        PgListener pg = dialect == Dialect.POSTGRESQL ? listener() : null;
        CountDownLatch woken = pg == null ? null : pg.register(id);
        try {
            long waitNanos = Math.min(maxNanos, pollNanos);
            try {
                long expiryNanos;
                Contention known = LAST_CONTENTION.get();
                LAST_CONTENTION.remove();
                long now = System.nanoTime();
                // Usable if just seen here, and (PostgreSQL) no notification arrived since the acquire
                // statement ran: one could have been this lock's release, before this waiter registered.
                if (known != null && known.driver() == this && known.name().equals(id) && now - known.seenAtNanos() < CONTENTION_FRESH_NANOS
                        && (pg == null || (known.eventsBefore() >= 0 && known.eventsBefore() == pg.events()))) {
                    expiryNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), known.expiresAtNanos() - now + TimeUnit.MILLISECONDS.toNanos(1));
                } else {
                    Optional<LockRow> row = readRow(id);
                    if (row.isEmpty() || !row.get().isHeld()) {
                        return;
                    }
                    expiryNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, row.get().remainingMillis() + 1));
                }
                // Listening: sleep to the expiry, but re-check now and then in case NOTIFY cannot reach
                // us (a transaction-pooling PgBouncer drops it).
                long listeningNanos = Math.max(TimeUnit.SECONDS.toNanos(1), pollInterval.toNanos() * 20);
                waitNanos = pg != null && pg.isListening() ? Math.min(Math.min(maxNanos, expiryNanos), listeningNanos) : Math.min(waitNanos, expiryNanos);
            } catch (DriverException e) {
                LOG.debug("{}: could not read lock '{}' while waiting; polling", backend, id, e);
            }
            if (woken != null) {
                woken.await(waitNanos, TimeUnit.NANOSECONDS);
            } else {
                TimeUnit.NANOSECONDS.sleep(waitNanos);
            }
        } finally {
            if (woken != null) {
                pg.unregister(id, woken);
            }
        }
    }

    /**
     * The lease-table row of lock {@code name} as the database sees it now: holder, fencing token
     * and expiry by the database's clock; empty if the lock was never taken.
     *
     * @throws DriverException the database failed
     */
    @Override
    public Optional<LockInfo> inspect(String name) {
        validate(name);
        return readRow(name).map(LockRow::toLockInfo);
    }

    /** The row of lock {@code name}, read by the database; package-private for the lease's loss reason. */
    Optional<LockRow> readRow(String name) {
        try {
            return calls.call("inspect", name, Deadline.after(RELEASE_TIMEOUT), connection -> {
                try (PreparedStatement read = SqlCalls.prepare(connection, sql.inspect(), Deadline.after(RELEASE_TIMEOUT))) {
                    read.setString(1, name);
                    try (ResultSet rows = read.executeQuery()) {
                        return rows.next() ? Optional.of(LockRow.read(rows)) : Optional.<LockRow>empty();
                    }
                }
            }, () -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(backend, name, "inspect", e);
        }
    }

    /**
     * Every row of the lease table, by name: held locks and free ones (with their last token).
     *
     * @throws DriverException the database failed
     */
    @Override
    public List<LockInfo> list() {
        try {
            return calls.call("list", "*", Deadline.after(RELEASE_TIMEOUT), connection -> {
                List<LockInfo> all = new ArrayList<>();
                try (PreparedStatement read = SqlCalls.prepare(connection, sql.list(), Deadline.after(RELEASE_TIMEOUT));
                        ResultSet rows = read.executeQuery()) {
                    while (rows.next()) {
                        all.add(LockRow.read(rows).toLockInfo());
                    }
                }
                return List.copyOf(all);
            }, () -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(backend, "*", "list", e);
        }
    }

    /**
     * Accepts 1 to {@value #MAX_NAME_LENGTH} code points of well-formed Unicode without NUL: what
     * every dialect's name column stores exactly.
     */
    @Override
    public void validate(String id) {
        LockNames.check(id, MAX_NAME_LENGTH);
    }

    /** Closes the LISTEN connection and, for a driver opened from a URI, its connections. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        listenerLock.lock();
        try {
            if (listener != null) {
                listener.close();
            }
        } finally {
            listenerLock.unlock();
        }
        source.close();
    }

    @Override
    public String toString() {
        return "JdbcDriver[" + backend + ", table " + table + "]";
    }

    String backend() {
        return backend;
    }

    private PgListener listener() {
        PgListener current = listener;
        if (current != null || closed.get()) {
            return current;
        }
        listenerLock.lock();
        try {
            if (listener == null && !closed.get()) {
                listener = new PgListener(source, sql.channel(), backend);
            }
            return listener;
        } finally {
            listenerLock.unlock();
        }
    }

    private static long ttlMillis(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        long millis = ttl.toMillis();
        return ttl.minusMillis(millis).isZero() ? millis : millis + 1; // never shorter than asked
    }

    private static long jittered(long nanos) {
        return nanos / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, nanos));
    }

    private static String processName() {
        String name = ManagementFactory.getRuntimeMXBean().getName(); // "pid@host"
        return name.length() > 200 ? name.substring(0, 200) : name;
    }

    /**
     * Options of a {@link JdbcDriver}; immutable once built. Setters fail fast on bad values.
     */
    public static final class Builder {
        private final ConnectionSource source;
        private final String where;
        private Dialect dialect;
        private String table = Statements.DEFAULT_TABLE;
        private boolean createTable;
        private Duration pollInterval = Duration.ofMillis(50);

        private Builder(ConnectionSource source, String where) {
            this.source = source;
            this.where = where;
        }

        /** Sets the dialect instead of detecting it from the connection's metadata. */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect must not be null");
            return this;
        }

        /**
         * The lease table (default {@code robit_locks}): an SQL identifier, optionally
         * {@code schema.table}; it is written into SQL unquoted.
         *
         * @throws IllegalArgumentException if it is not such an identifier
         */
        public Builder table(String table) {
            this.table = Statements.checkTable(table);
            return this;
        }

        /**
         * Creates the lease table at {@link #build()} if it does not exist (and, for SQLite, turns on
         * WAL mode). Off by default: the table is usually created by the schema's migrations.
         */
        public Builder createTableIfMissing() {
            this.createTable = true;
            return this;
        }

        /**
         * How long a waiter sleeps between checks where the database cannot notify it (all but
         * PostgreSQL, or PostgreSQL while its LISTEN connection is down), jittered ±50%; a waiter
         * wakes sooner at the holder's expiry. Default 50 ms.
         *
         * @throws IllegalArgumentException unless between 1 ms and 10 s
         */
        public Builder pollInterval(Duration pollInterval) {
            Objects.requireNonNull(pollInterval, "pollInterval must not be null");
            if (pollInterval.compareTo(Duration.ofMillis(1)) < 0 || pollInterval.compareTo(Duration.ofSeconds(10)) > 0) {
                throw new IllegalArgumentException("pollInterval must be between 1 ms and 10 s, got " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * Builds the driver. Connects once if the dialect must be detected or the table created.
         *
         * @throws DriverException the database could not be reached, is not supported, or the table
         *     could not be created
         */
        public JdbcDriver build() {
            Bootstrap.Result ready = Bootstrap.run(source, dialect, where, table, createTable);
            // Opened from a URI (the provider gives where): failures give advice in the URI's terms.
            return new JdbcDriver(source, ready.dialect(), table, ready.label(), pollInterval, where != null);
        }
    }
}
