package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import io.robit.spi.support.Arguments;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
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
 * autocommit; no session-bound advisory locks, so poolers are fine. This class adapts the SPI to
 * the table ({@link JdbcStore}); a waiting lock call's state lives in its {@link JdbcContention}.
 *
 * <p>Waiting: on PostgreSQL, waiters queue in the lease table's waiter queue and get the lock in
 * arrival order: a release hands it straight to the first live waiter (in its own statement) and
 * notifies that waiter only, through one LISTEN connection per driver
 * (taken from the data source on the first wait and held until {@link #close()}), with a timed wake
 * at the holder's expiry (without the queue table: every waiter of the lock wakes and the quickest
 * wins). On the others a waiter sleeps until the holder's expiry or a short jittered poll interval,
 * whichever is first.
 *
 * <p>Thread-safe. A driver made by {@link #create}/{@link #builder} never closes the user's data
 * source; one made by {@link #open} owns its connections.
 */
public final class JdbcDriver implements Driver<String>, Inspectable<String> {
    /** The longest lock name, in code points (the {@code VARCHAR(255)} name column). */
    public static final int MAX_NAME_LENGTH = 255;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcDriver.class);
    private static final int MAX_IDLE = 4;

    private final JdbcStore store;
    private final Dialect dialect;
    private final String table;
    private final String backend;
    private final Duration pollInterval;
    private final ListenerSlot listener;
    // Queue names of this driver's waiting calls: a random prefix, so close() can take them all out.
    private final String waiterPrefix = UUID.randomUUID() + ":";
    private final AtomicLong waiters = new AtomicLong();

    private JdbcDriver(ConnectionSource source, Dialect dialect, String table, String backend, Duration pollInterval, boolean fromUri) {
        this.dialect = dialect;
        this.table = table;
        this.backend = backend;
        this.pollInterval = pollInterval;
        this.store = new JdbcStore(source, dialect, table, backend, fromUri);
        this.listener = new ListenerSlot(store, backend);
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

    /**
     * A driver that makes and owns a few connections ({@link java.sql.DriverManager}: the JDBC driver jar must
     * be on the classpath) and closes them on {@link #close()}, as {@link io.robit.Drivers#open} gives.
     * It connects once now (bounded by a connect timeout of 10 s unless the URI sets one) and keeps
     * that connection for the first call, so an unreachable server fails here.
     *
     * <p>URIs: {@code postgresql://user:password@host:5432/db} (or {@code postgres://}),
     * {@code mysql://root@host:3306/db} and {@code mariadb://...} (through MariaDB Connector/J if present,
     * else MySQL Connector/J), {@code sqlite:/var/lib/app/locks.db}. Robit's own query parameters:
     * {@code table=NAME} (default {@code robit_locks}) and {@code createTable=true|false} (default
     * {@code true} for SQLite, whose file is Robit's own, and {@code false} for servers); security
     * (docs/security.md): {@code cacert}, {@code cert}, {@code key}, {@code passwordFile},
     * {@code passwordEnv}; the rest go to the JDBC driver. SQLite files are opened in WAL mode with a
     * busy timeout and {@code synchronous=FULL}, so tokens survive a power loss.
     *
     * @throws IllegalArgumentException the URI is malformed
     * @throws DriverException the database could not be reached, is not supported, or the table could not be created
     */
    public static JdbcDriver open(String uri) {
        JdbcUri parsed = JdbcUri.parse(uri);
        OwnedPool pool = OwnedPool.open(parsed, MAX_IDLE);
        try {
            Builder builder = new Builder(pool, parsed.label());
            builder.dialect = parsed.dialect();
            builder.table(parsed.table() == null ? Statements.DEFAULT_TABLE : parsed.table());
            builder.createTable = parsed.createTable();
            return builder.build();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
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
        return attempt(id, JdbcStore.ttlMillis(ttl), timeout, null);
    }

    /**
     * A contention that carries what each failed attempt learns (the holder's expiry) to the wait
     * after it, so that wait needs no query of its own.
     */
    @Override
    public Contention contend(String id, Duration ttl, Duration timeout) {
        validate(id);
        long ttlMillis = JdbcStore.ttlMillis(ttl);
        Deadline.after(timeout); // checks it
        return new JdbcContention(this, id, ttlMillis, timeout);
    }

    /** One take of {@code id}; when it fails, tells {@code contention} (if any) what it saw of the holder and the queue. */
    Optional<Lease> attempt(String id, long ttlMillis, Duration timeout, JdbcContention contention) throws InterruptedException {
        Deadline deadline = Deadline.after(timeout);
        // A queued waiter keeps one owner for all its attempts: a release hands the lock to that owner.
        String owner = contention == null || contention.waiter() == null ? JdbcStore.newOwner() : contention.owner();
        PgListener pg = listener.current();
        long eventsBefore = pg == null ? -1 : pg.events(); // read before the statement: see JdbcContention
        Attempt attempt = store.take(id, owner, ttlMillis, contention == null ? null : contention.waiter(),
                contention == null ? 0 : contention.queueMillis(), deadline);
        if (attempt.token() == null) {
            if (contention != null) {
                contention.attemptFailed(attempt, eventsBefore);
            }
            return Optional.empty();
        }
        JdbcLease lease = new JdbcLease(this, id, owner, attempt.token(), attempt.handedLeftMillis());
        if (Thread.interrupted()) {
            release(lease); // the SPI promises an interrupted acquire took nothing
            throw new InterruptedException("interrupted while acquiring lock '" + id + "'");
        }
        return Optional.of(lease);
    }

    @Override
    public void release(Lease lease) {
        if (!(lease instanceof JdbcLease jdbc) || jdbc.driver() != this) {
            LOG.warn("{}: release of a lease this driver did not grant ignored: {}", backend, lease);
            return;
        }
        if (jdbc.beginRelease()) { // a second release is a no-op
            store.giveBack(jdbc.name(), jdbc.owner());
        }
    }

    /** Extends {@code lease}; true means still ours. Called by {@link JdbcLease#refresh}. */
    boolean extend(JdbcLease lease, Duration ttl, Duration timeout) throws InterruptedException {
        return store.extend(lease.name(), lease.owner(), JdbcStore.ttlMillis(ttl), Deadline.after(timeout));
    }

    /**
     * For callers outside a lock call: wakes on a release (PostgreSQL's NOTIFY), at the holder's
     * expiry, or after the jittered poll interval, whichever is first; reads the row first, and
     * returns at once if the lock is free.
     */
    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        validate(id);
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        try (JdbcContention wait = new JdbcContention(this, id, 0, null)) {
            wait.awaitRelease(maxWait);
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
        return store.read(name).map(LockRow::toLockInfo);
    }

    /**
     * Every row of the lease table, by name: held locks and free ones (with their last token).
     *
     * @throws DriverException the database failed
     */
    @Override
    public List<LockInfo> list() {
        return store.list();
    }

    /**
     * Accepts 1 to {@value #MAX_NAME_LENGTH} code points of well-formed Unicode without NUL: what
     * every dialect's name column stores exactly.
     */
    @Override
    public void validate(String id) {
        Arguments.lockNameCharacters(id, MAX_NAME_LENGTH, true);
    }

    /**
     * Takes this driver's waiting calls out of the queue, closes the LISTEN connection and, for a
     * driver made by {@link #open}, its connections. Idempotent.
     */
    @Override
    public void close() {
        store.refuseTakes();
        if (waiters.get() > 0 && !store.isClosed()) {
            store.leaveAll(waiterPrefix); // calls still waiting must not hold up other processes' waiters
        }
        if (!store.markClosed()) {
            return;
        }
        listener.close();
        store.source().close();
    }

    @Override
    public String toString() {
        return "JdbcDriver[" + backend + ", table " + table + "]";
    }

    String backend() {
        return backend;
    }

    JdbcStore store() {
        return store;
    }

    /** A queue name for one waiting call, unique in every process. */
    String newWaiterName() {
        return waiterPrefix + waiters.incrementAndGet();
    }

    Duration pollInterval() {
        return pollInterval;
    }

    /** The LISTEN connection (started on the first wait) on PostgreSQL; null on the others or once closed. */
    PgListener listenerForWaits() {
        return listener.forWaits();
    }

    /** The LISTEN connection if a wait has started it, else null. */
    PgListener listenerIfRunning() {
        return listener.current();
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

        Builder(ConnectionSource source, String where) {
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
