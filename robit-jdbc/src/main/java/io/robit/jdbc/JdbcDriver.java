package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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

    private final ConnectionSource source;
    private final Dialect dialect;
    private final String table;
    private final Statements sql;
    private final String backend;
    private final Duration pollInterval;
    private final ReentrantLock listenerLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile PgListener listener;

    private JdbcDriver(ConnectionSource source, Dialect dialect, String table, String backend, Duration pollInterval) {
        this.source = source;
        this.dialect = dialect;
        this.table = table;
        this.sql = Statements.of(dialect, table);
        this.backend = backend;
        this.pollInterval = pollInterval;
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
        Optional<Long> token = call("acquire", id, deadline, connection -> takeRow(connection, id, owner, ttlMillis, deadline),
                () -> giveBack(id, owner)); // the row may be ours although the answer was lost
        if (token.isEmpty()) {
            return Optional.empty();
        }
        JdbcLease lease = new JdbcLease(this, id, owner, token.get());
        if (Thread.interrupted()) {
            release(lease); // the SPI promises an interrupted acquire took nothing
            throw new InterruptedException("interrupted while acquiring lock '" + id + "'");
        }
        return Optional.of(lease);
    }

    private Optional<Long> takeRow(Connection connection, String id, String owner, long ttlMillis, Deadline deadline) throws SQLException {
        try (PreparedStatement take = prepare(connection, sql.acquire(), deadline)) {
            take.setString(1, id);
            take.setString(2, owner);
            take.setLong(3, ttlMillis);
            if (sql.acquireResult() == null) {
                try (ResultSet rows = take.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getLong(1)) : Optional.empty();
                }
            }
            take.executeUpdate();
        }
        try (PreparedStatement read = prepare(connection, sql.acquireResult(), deadline)) {
            read.setString(1, id);
            read.setString(2, owner);
            try (ResultSet rows = read.executeQuery()) {
                return rows.next() ? Optional.of(rows.getLong(1)) : Optional.empty();
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
            call("release", id, Deadline.after(RELEASE_TIMEOUT), connection -> {
                try (PreparedStatement release = prepare(connection, sql.release(), Deadline.after(RELEASE_TIMEOUT))) {
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
        return call("refresh", lease.name(), deadline, connection -> {
            try (PreparedStatement refresh = prepare(connection, sql.refresh(), deadline)) {
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
                Optional<Row> row = readRow(id);
                if (row.isEmpty() || !row.get().isHeld()) {
                    return;
                }
                long expiryNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, row.get().remainingMillis() + 1));
                waitNanos = pg != null && pg.isListening() ? Math.min(maxNanos, expiryNanos) : Math.min(waitNanos, expiryNanos);
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
        return readRow(name).map(Row::toLockInfo);
    }

    /** The row of lock {@code name}, read by the database; package-private for the lease's loss reason. */
    Optional<Row> readRow(String name) {
        try {
            return call("inspect", name, Deadline.after(RELEASE_TIMEOUT), connection -> {
                try (PreparedStatement read = prepare(connection, sql.inspect(), Deadline.after(RELEASE_TIMEOUT))) {
                    read.setString(1, name);
                    try (ResultSet rows = read.executeQuery()) {
                        return rows.next() ? Optional.of(Row.read(rows)) : Optional.<Row>empty();
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
            return call("list", "*", Deadline.after(RELEASE_TIMEOUT), connection -> {
                List<LockInfo> all = new ArrayList<>();
                try (PreparedStatement read = prepare(connection, sql.list(), Deadline.after(RELEASE_TIMEOUT));
                        ResultSet rows = read.executeQuery()) {
                    while (rows.next()) {
                        all.add(Row.read(rows).toLockInfo());
                    }
                }
                return List.copyOf(all);
            }, () -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(backend, "*", "list", e);
        }
    }

    /** A lease-table row and the database's time when it was read. */
    record Row(String name, String owner, long token, Long expiresAtMillis, long nowMillis) {
        static Row read(ResultSet row) throws SQLException {
            String name = row.getString(1);
            String owner = row.getString(2);
            long token = row.getLong(3);
            long expires = row.getLong(4);
            Long expiresAt = row.wasNull() ? null : expires;
            return new Row(name, owner, token, expiresAt, row.getLong(5));
        }

        boolean isHeld() {
            return owner != null && expiresAtMillis != null && expiresAtMillis > nowMillis;
        }

        long remainingMillis() {
            return isHeld() ? expiresAtMillis - nowMillis : 0;
        }

        LockInfo toLockInfo() {
            return isHeld() ? new LockInfo(name, Optional.of(owner), token, Optional.empty(), Optional.of(Duration.ofMillis(remainingMillis())))
                    : new LockInfo(name, Optional.empty(), token, Optional.empty(), Optional.empty());
        }
    }

    /**
     * Accepts 1 to {@value #MAX_NAME_LENGTH} code points of well-formed Unicode without NUL: what
     * every dialect's name column stores exactly.
     */
    @Override
    public void validate(String id) {
        Objects.requireNonNull(id, "lock id must not be null");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("lock id must not be empty");
        }
        int length = id.codePointCount(0, id.length());
        if (length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("lock id must be at most " + MAX_NAME_LENGTH + " characters, got " + length
                    + ": '" + id.substring(0, 40) + "...'");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == '\0') {
                throw new IllegalArgumentException("lock id must not contain NUL characters, got '" + id.replace('\0', '?') + "'");
            }
            if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("lock id must be well-formed Unicode (unpaired surrogate at index " + i + ")");
            }
        }
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

    /** One unit of SQL work on one borrowed connection. */
    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work} on a borrowed connection, committing if the connection is not in
     * autocommit, retrying transient failures until the deadline; other failures run
     * {@code onUncertain} (the work may have taken effect) and become a {@link DriverException}.
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
                throw Failures.translate(dialect, backend, table, operation, lock, e);
            }
            boolean broken = false;
            try {
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
                    TimeUnit.MILLISECONDS.sleep(Math.min(ThreadLocalRandom.current().nextLong(2, 20), Math.max(1, deadline.remainingNanos() / 1_000_000)));
                    continue;
                }
                if (Failures.isUncertain(e)) {
                    onUncertain.run();
                }
                throw Failures.translate(dialect, backend, table, operation, lock, e);
            } finally {
                source.giveBack(connection, broken);
            }
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

    private static PreparedStatement prepare(Connection connection, String statement, Deadline deadline) throws SQLException {
        PreparedStatement prepared = connection.prepareStatement(statement);
        prepared.setQueryTimeout(deadline.seconds());
        return prepared;
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

    /** A per-call time budget. */
    private record Deadline(long atNanos) {
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
            Dialect chosen = dialect;
            String label = where;
            if (chosen == null || createTable) {
                try (Connection connection = source.get()) {
                    DatabaseMetaData meta = connection.getMetaData();
                    if (chosen == null) {
                        chosen = Dialect.detect(meta.getDatabaseProductName(), meta.getDatabaseProductVersion());
                    }
                    label = label != null ? label : chosen.label() + " " + withoutQuery(meta.getURL());
                    if (createTable) {
                        createTable(connection, chosen);
                    }
                } catch (SQLException e) {
                    String what = chosen == null ? "database" : chosen.label();
                    throw new DriverException(what + " " + (label == null ? source : label) + ": "
                            + (createTable ? "creating lease table '" + table + "'" : "detecting the SQL dialect") + " failed: " + e.getMessage(), e);
                } catch (IllegalArgumentException e) {
                    throw new DriverException(e.getMessage(), e);
                }
            }
            label = label != null ? label : chosen.label() + " " + source;
            return new JdbcDriver(source, chosen, table, label, pollInterval);
        }

        private void createTable(Connection connection, Dialect chosen) throws SQLException {
            Statements statements = Statements.of(chosen, table);
            boolean autoCommit = connection.getAutoCommit();
            try (Statement statement = connection.createStatement()) {
                if (!autoCommit) {
                    connection.setAutoCommit(true); // DDL and PRAGMA journal_mode outside a transaction
                }
                for (String setup : statements.setup()) {
                    statement.execute(setup);
                }
                statement.execute(statements.createTable());
            } finally {
                if (!autoCommit) {
                    connection.setAutoCommit(false);
                }
            }
        }

        private static String withoutQuery(String url) {
            if (url == null) {
                return "(unknown URL)";
            }
            int query = url.indexOf('?');
            return query < 0 ? url : url.substring(0, query);
        }
    }
}
