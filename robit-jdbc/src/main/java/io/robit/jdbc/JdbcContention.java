package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import io.robit.spi.support.BlockingWaits;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One waiting lock call on a {@link JdbcDriver}: its attempts, and its waits between them. A failed
 * attempt learns the holder's remaining time (the acquire statement returns it), so the wait after it
 * sleeps until that expiry, or on PostgreSQL until a NOTIFY, without a second query. Where nothing
 * was learnt (a third party's {@link JdbcDriver#awaitRelease}, or knowledge gone stale) the wait reads
 * the row first.
 *
 * <p>On PostgreSQL with the waiter queue, the call is one waiter in it from its first failed attempt
 * (each attempt refreshes its place) until it gets the lock or {@link #close()} takes it out. Its
 * attempts all use one owner string, so a release can hand the lock straight to it (and notify it
 * only); the attempt after the notification finds the lock its own and reads it. A call that stops
 * waiting and finds its place already gone, or the lock its own, gives back what it was handed
 * meanwhile: it is its own. From its first wait until {@link #close()} the call stays
 * registered with the driver's LISTEN connection, and each attempt empties its wake-up first, so a
 * notification that arrives between an attempt and the wait after it is not missed.
 *
 * <p>Not thread-safe on its own, as {@link Contention} allows: the core orders the calls of one
 * contention (each happening-before the next), whichever threads make them.
 */
final class JdbcContention implements Contention {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcContention.class);
    /** How long a holder's expiry seen by an attempt is trusted by the wait after it. */
    private static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** The most an asynchronous wait blocks the core's pool thread before the caller re-queues. */
    private static final Duration ASYNC_SLICE = Duration.ofMillis(200);
    private static final long ONE_MILLI = TimeUnit.MILLISECONDS.toNanos(1);
    /** How many rechecks a queued waiter may miss before its place lapses. */
    private static final int QUEUE_RECHECKS = 5;

    private final JdbcDriver driver;
    private final String id;
    private final long ttlMillis;
    private final Duration timeout;
    /** This call's name in the waiter queue (PostgreSQL), the same for all its attempts; else null. */
    private final String waiter;
    /** The owner string a queued call's attempts take the lock under, and a release hands it to; new after each grant. */
    private String owner;
    // What the last failed attempt saw (valid while seenAtNanos != 0): plain fields, see the class comment.
    private long seenAtNanos;
    private long expiresAtNanos;
    private boolean othersFirst;
    private long eventsBefore;
    private boolean queued;
    // Registered with the LISTEN connection from the first wait until close; a notification leaves a permit.
    private PgListener listener;
    private Semaphore woken;

    /** A contention for {@code id}; a {@code timeout} of null means this only waits (no attempts). */
    JdbcContention(JdbcDriver driver, String id, long ttlMillis, Duration timeout) {
        this.driver = driver;
        this.id = id;
        this.ttlMillis = ttlMillis;
        this.timeout = timeout;
        this.waiter = timeout != null && driver.dialect() == Dialect.POSTGRESQL ? driver.newWaiterName() : null;
        this.owner = JdbcStore.newOwner();
    }

    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        seenAtNanos = 0;
        if (woken == null) {
            listen(driver.listenerIfRunning()); // before the statement: then the wait after it misses nothing
        } else {
            woken.drainPermits(); // from here on, a notification counts for the wait after this attempt
        }
        // Until the answer says otherwise we may be queued: an attempt that fails may have queued us.
        queued = waiter != null;
        Optional<Lease> lease = driver.attempt(id, ttlMillis, timeout, this);
        if (lease.isPresent()) {
            queued = false; // the take left the queue in the same statement
            owner = JdbcStore.newOwner(); // should the core give it back and try again, a new grant has a new owner
        }
        return lease;
    }

    /** The owner string of this call's next attempt, and of a hand-over to it. */
    String owner() {
        return owner;
    }

    /** This call's waiter name, or null if it does not queue. */
    String waiter() {
        return waiter;
    }

    /** How long this call's place in the queue lasts after each attempt. */
    long queueMillis() {
        return TimeUnit.NANOSECONDS.toMillis(recheckNanos()) * QUEUE_RECHECKS;
    }

    /**
     * Called by a failed attempt with what it saw, and the LISTEN connection's event count before
     * the statement ran (-1 if not listening).
     */
    void attemptFailed(Attempt attempt, long events) {
        queued = attempt.queued();
        if (attempt.remainingMillis() == null) {
            return;
        }
        long now = System.nanoTime();
        seenAtNanos = now == 0 ? 1 : now;
        othersFirst = attempt.othersFirst();
        expiresAtNanos = now + TimeUnit.MILLISECONDS.toNanos(Math.max(0, attempt.remainingMillis()));
        eventsBefore = events;
    }

    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        long maxNanos = maxWait.toNanos();
        if (maxNanos <= 0) {
            return;
        }
        PgListener pg = driver.listenerForWaits();
        boolean registeredBefore = woken != null; // then no notification since the attempt's statement was missed
        if (woken == null) {
            listen(pg);
        }
        try {
            long waitNanos = Math.min(maxNanos, JdbcStore.jittered(driver.pollInterval().toNanos()));
            try {
                long untilFree = untilFreeNanos(pg, registeredBefore);
                if (untilFree <= 0) {
                    return; // free now
                }
                // Listening: sleep to the expiry or a notification, but re-check now and then in case
                // NOTIFY cannot reach us (a transaction-pooling PgBouncer drops it).
                waitNanos = pg != null && pg.isListening() ? Math.min(Math.min(maxNanos, untilFree), recheckNanos())
                        : Math.min(waitNanos, untilFree);
            } catch (DriverException e) {
                LOG.debug("{}: could not read lock '{}' while waiting; polling", driver.backend(), id, e);
            }
            if (woken != null) {
                woken.tryAcquire(waitNanos, TimeUnit.NANOSECONDS);
            } else {
                TimeUnit.NANOSECONDS.sleep(waitNanos);
            }
        } finally {
            seenAtNanos = 0; // what the attempt saw is used once
        }
    }

    /** Registers this call with {@code pg} (if not null) under the lock's name and its queue name, until {@link #close()}. */
    private void listen(PgListener pg) {
        if (pg == null) {
            return;
        }
        listener = pg;
        woken = new Semaphore(0);
        pg.register(id, woken);
        if (waiter != null) {
            pg.register(waiter, woken);
        }
    }

    /**
     * Nanoseconds until the lock may be ours: until the holder's expiry (at least 1 ms while held),
     * {@link Long#MAX_VALUE} if it is free but another waiter is first (only a notification or a
     * recheck tells), or 0 if it is free now. From the last attempt if that is fresh and no
     * notification since its statement can have been missed (registered before it, or the LISTEN
     * connection's event count unchanged); else read from the database.
     */
    private long untilFreeNanos(PgListener pg, boolean registeredBefore) {
        long now = System.nanoTime();
        if (seenAtNanos != 0 && now - seenAtNanos < FRESH_NANOS
                && (pg == null || registeredBefore || (eventsBefore >= 0 && eventsBefore == pg.events()))) {
            return othersFirst ? Long.MAX_VALUE : Math.max(ONE_MILLI, expiresAtNanos - now + ONE_MILLI);
        }
        Optional<LockRow> row = driver.store().read(id);
        if (row.isEmpty() || !row.get().isHeld() || owner.equals(row.get().owner())) {
            return 0; // free, or handed to us by a release whose notification came before we listened
        }
        return TimeUnit.MILLISECONDS.toNanos(Math.max(1, row.get().remainingMillis() + 1));
    }

    /** How long a listening waiter sleeps at most before it looks again. */
    private long recheckNanos() {
        return Math.max(TimeUnit.SECONDS.toNanos(1), driver.pollInterval().toNanos() * 20);
    }

    /**
     * Blocks the calling (pool) thread for at most a short slice, then completes: JDBC has no
     * asynchronous client, so this ties up at most the core's bounded pool, never a thread per waiter.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        return BlockingWaits.inSlice(maxWait, ASYNC_SLICE, this::awaitRelease);
    }

    /**
     * Stops listening for this call and, if it is queued, takes it out of the queue (waking the next
     * waiter if the lock is free). If its place was already gone, or the lock is its own (an attempt
     * that raced the release wrote its place again), a release may have handed it the lock: that grant is this call's own and nobody else's (its owner string), so it is given back,
     * which hands it on to the next waiter, rather than left held until its ttl.
     */
    @Override
    public void close() {
        seenAtNanos = 0;
        if (woken != null) {
            listener.unregister(id, woken);
            if (waiter != null) {
                listener.unregister(waiter, woken);
            }
            woken = null;
        }
        if (queued) {
            queued = false;
            if (driver.store().leave(id, waiter, owner)) {
                driver.store().giveBack(id, owner);
            }
        }
    }

    @Override
    public String toString() {
        return "JdbcContention[" + id + " on " + driver + "]";
    }
}
