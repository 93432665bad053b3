package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One waiting call's contention for one lock on etcd. A failed attempt keeps the revision at which
 * it found the key held, so the wait after it watches the key's deletion from the next revision
 * without a read (a delete in between is replayed, so nothing is missed). Without such a revision
 * (the first wait, an attempt that failed, or {@link EtcdDriver#awaitRelease} called on its own) the
 * wait reads the key first. Waits park no thread of their own: a watch event or a timer at
 * {@code maxWait} completes them.
 *
 * <p>Calls never overlap and each happens-before the next ({@link Contention}'s contract), possibly on
 * different threads: the plain fields need no lock.
 */
final class EtcdContention implements Contention {
    private static final long RETRY_AFTER_FAILED_PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Holds holds;
    private final String id;
    private final ByteSequence key;
    private final Duration ttl;
    private final Duration timeout;
    // The revision at which the last attempt found the key held; 0 when there is none to watch from.
    private long contendedRevision;
    private CompletableFuture<Void> waiting;

    EtcdContention(Holds holds, String id, ByteSequence key, Duration ttl, Duration timeout) {
        this.holds = holds;
        this.id = id;
        this.key = key;
        this.ttl = ttl;
        this.timeout = timeout;
    }

    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        holds.ensureOpen();
        contendedRevision = 0;
        return holds.acquire(id, key, ttl, timeout, revision -> contendedRevision = revision);
    }

    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        awaitBlocking(awaitReleaseAsync(maxWait), maxWait);
    }

    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        long fromRevision = contendedRevision == 0 ? 0 : contendedRevision + 1;
        // Used once: a second wait without a new attempt would replay the same delete at once.
        contendedRevision = 0;
        waiting = awaitDelete(holds, id, key, fromRevision, maxWait);
        return waiting;
    }

    /** Stops a wait still in progress (its watch and timer); a lease already returned stays the caller's. */
    @Override
    public void close() {
        CompletableFuture<Void> current = waiting;
        waiting = null;
        if (current != null) {
            current.cancel(false);
        }
    }

    /**
     * A wait for {@code key}'s deletion: completes when etcd reports it deleted (from
     * {@code fromRevision}, or after a read when it is 0), at once if the key is absent, after a
     * short pause if etcd does not answer the read, and at the latest after {@code maxWait}.
     * Cancelling it closes the watch.
     */
    static CompletableFuture<Void> awaitDelete(Holds holds, String id, ByteSequence key, long fromRevision, Duration maxWait) {
        long maxNanos = Objects.requireNonNull(maxWait, "maxWait must not be null").toNanos();
        if (maxNanos <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        holds.ensureOpen();
        CompletableFuture<Void> freed = new CompletableFuture<>();
        holds.completeAfter(freed, maxNanos);
        if (fromRevision > 0) {
            watchForDelete(holds, key, fromRevision, freed);
            return freed;
        }
        holds.store().probe(key)
                .orTimeout(Math.min(maxNanos, holds.requestTimeout().toNanos()), TimeUnit.NANOSECONDS)
                .whenComplete((now, error) -> {
                    if (error != null) {
                        // etcd did not answer: let the caller try again after a short pause.
                        holds.completeAfter(freed, RETRY_AFTER_FAILED_PROBE_NANOS);
                    } else if (now.getKvs().isEmpty()) {
                        freed.complete(null);
                    } else {
                        watchForDelete(holds, key, now.getHeader().getRevision() + 1, freed);
                    }
                });
        return freed;
    }

    private static void watchForDelete(Holds holds, ByteSequence key, long fromRevision, CompletableFuture<Void> freed) {
        if (freed.isDone()) {
            return;
        }
        // A watch that fails or ends wakes the caller too: it tries again, and waits anew.
        Watch.Watcher watcher = holds.store().watchDeletes(key, fromRevision, () -> freed.complete(null), error -> freed.complete(null),
                () -> freed.complete(null));
        freed.whenComplete((ignored, error) -> watcher.close());
    }

    /** Blocks on {@code freed} for at most {@code maxWait}, then drops it (closing its watch). */
    static void awaitBlocking(CompletableFuture<Void> freed, Duration maxWait) throws InterruptedException {
        try {
            freed.get(Math.max(0, maxWait.toNanos()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException | CancellationException e) {
            // maxWait passed, or the wait was cut short: return, the caller tries again.
        } finally {
            freed.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "EtcdContention[" + id + ", ttl " + ttl + "]";
    }
}
