package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One waiting lock call on a {@link JdbcDriver}: its attempts, and its waits between them. A failed
 * attempt learns the holder's remaining time (the acquire statement returns it), so the wait after it
 * sleeps until that expiry, or on PostgreSQL until a NOTIFY of the lock's release, without a second
 * query. Where nothing was learnt (a third party's {@link JdbcDriver#awaitRelease}, or knowledge gone
 * stale) the wait reads the row first.
 *
 * <p>Not thread-safe on its own, as {@link Contention} allows: the core orders the calls of one
 * contention (each happening-before the next), whichever threads make them.
 */
final class JdbcContention implements Contention {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcContention.class);
    /** How long a holder's expiry seen by an attempt is trusted by the wait after it. */
    private static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** The most an asynchronous wait blocks the core's pool thread before the caller re-queues. */
    private static final long ASYNC_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long ONE_MILLI = TimeUnit.MILLISECONDS.toNanos(1);

    private final JdbcDriver driver;
    private final String id;
    private final long ttlMillis;
    private final Duration timeout;
    // What the last failed attempt saw (valid while seenAtNanos != 0): plain fields, see the class comment.
    private long seenAtNanos;
    private long expiresAtNanos;
    private long eventsBefore;

    /** A contention for {@code id}; a {@code timeout} of null means this only waits (no attempts). */
    JdbcContention(JdbcDriver driver, String id, long ttlMillis, Duration timeout) {
        this.driver = driver;
        this.id = id;
        this.ttlMillis = ttlMillis;
        this.timeout = timeout;
    }

    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        seenAtNanos = 0;
        return driver.attempt(id, ttlMillis, timeout, this);
    }

    /**
     * Called by a failed attempt: the holder had {@code remainingMillis} left, and the LISTEN
     * connection's event count was {@code events} before the statement ran (-1 if not listening).
     */
    void holderSeen(long remainingMillis, long events) {
        long now = System.nanoTime();
        seenAtNanos = now == 0 ? 1 : now;
        expiresAtNanos = now + TimeUnit.MILLISECONDS.toNanos(Math.max(0, remainingMillis));
        eventsBefore = events;
    }

    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        long maxNanos = maxWait.toNanos();
        if (maxNanos <= 0) {
            return;
        }
        long pollNanos = JdbcStore.jittered(driver.pollInterval().toNanos());
        PgListener pg = driver.listenerForWaits();
        CountDownLatch woken = pg == null ? null : pg.register(id);
        try {
            long waitNanos = Math.min(maxNanos, pollNanos);
            try {
                long expiryNanos = holderExpiryNanos(pg);
                if (expiryNanos <= 0) {
                    return; // free now
                }
                // Listening: sleep to the expiry, but re-check now and then in case NOTIFY cannot reach
                // us (a transaction-pooling PgBouncer drops it).
                long listeningNanos = Math.max(TimeUnit.SECONDS.toNanos(1), driver.pollInterval().toNanos() * 20);
                waitNanos = pg != null && pg.isListening() ? Math.min(Math.min(maxNanos, expiryNanos), listeningNanos)
                        : Math.min(waitNanos, expiryNanos);
            } catch (DriverException e) {
                LOG.debug("{}: could not read lock '{}' while waiting; polling", driver.backend(), id, e);
            }
            if (woken != null) {
                woken.await(waitNanos, TimeUnit.NANOSECONDS);
            } else {
                TimeUnit.NANOSECONDS.sleep(waitNanos);
            }
        } finally {
            seenAtNanos = 0; // what the attempt saw is used once
            if (woken != null) {
                pg.unregister(id, woken);
            }
        }
    }

    /**
     * Nanoseconds until the holder's lease expires (at least 1 ms while held), or 0 if the lock is
     * free: from the last attempt if it is fresh and (PostgreSQL) no notification arrived since that
     * attempt's statement ran, since one could have been this lock's release, before this waiter
     * registered; else read from the database.
     */
    private long holderExpiryNanos(PgListener pg) {
        long now = System.nanoTime();
        if (seenAtNanos != 0 && now - seenAtNanos < FRESH_NANOS
                && (pg == null || (eventsBefore >= 0 && eventsBefore == pg.events()))) {
            return Math.max(ONE_MILLI, expiresAtNanos - now + ONE_MILLI);
        }
        Optional<LockRow> row = driver.store().read(id);
        if (row.isEmpty() || !row.get().isHeld()) {
            return 0;
        }
        return TimeUnit.MILLISECONDS.toNanos(Math.max(1, row.get().remainingMillis() + 1));
    }

    /**
     * Blocks the calling (pool) thread for at most a short slice, then completes: JDBC has no
     * asynchronous client, so this ties up at most the core's bounded pool, never a thread per waiter.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        long maxNanos = maxWait.toNanos();
        if (maxNanos <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            awaitRelease(Duration.ofNanos(Math.min(maxNanos, ASYNC_SLICE_NANOS)));
            return CompletableFuture.completedFuture(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Forgets what the last attempt saw; nothing of this call is registered anywhere between waits. */
    @Override
    public void close() {
        seenAtNanos = 0;
    }

    @Override
    public String toString() {
        return "JdbcContention[" + id + " on " + driver + "]";
    }
}
