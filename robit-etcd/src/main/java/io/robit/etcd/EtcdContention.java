package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One waiting call's contention for one lock on etcd, served in arrival order through the lock's
 * {@link WaitQueue}. Its first attempt takes the lock only if it is free and nobody queues: it takes
 * a free lock and reads the queue's head in one transaction, giving the key back if a place was
 * there (where this driver last saw waiters, it reads the head first and its transaction also
 * requires that place gone, so it rarely has to give back); otherwise that transaction, or the one that gives the key back, puts the call's
 * place at the end of the queue (bound to the driver's shared lease) and reads its predecessor. Until it is first, the call waits
 * for its predecessor's place to go, by watch, then reads again (a predecessor that gave up leaves
 * an older one); once first, it waits for the lock key's deletion and then tries, the transaction
 * also deleting its place. So a release wakes one waiter, and a caller that just released queues
 * behind the others. A place found gone (its lease expired) is taken again at the end; the call's
 * {@link #close()} deletes its place (retried in the background if etcd does not answer).
 *
 * <p>A one-shot attempt ({@link EtcdDriver#acquire}, {@code tryLock()}) is a contention that never
 * queues: it, too, takes a free lock only while nobody queues. Waits park no thread of their own: a
 * watch event or a timer completes them; a queued call wakes at least every third of the ttl to keep
 * its place's lease alive.
 *
 * <p>Calls never overlap and each happens-before the next ({@link Contention}'s contract), possibly on
 * different threads: the plain fields need no lock.
 */
final class EtcdContention implements Contention, Turn {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdContention.class);
    private static final long RETRY_AFTER_FAILED_PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Holds holds;
    private final String id;
    private final ByteSequence key;
    private final Duration ttl;
    private final Duration timeout;
    /** False for a one-shot attempt: it never takes a place. */
    private final boolean queues;
    // This call's place: a new key for each time it queues (a place given up may still be in etcd for a while).
    private ByteSequence place;
    // The queue's head as the first attempt read it (null: empty, or not read).
    private ByteSequence headSeen;

    // While queued: the lease the place is bound to (this call holds a use of it), and its create revision.
    private SharedLease placeLease;
    private long placeRevision;
    // Whether no older place is left: once true, stays true while queued (later places are newer).
    private boolean first;
    // What the last attempt says to wait for: a key's deletion from a revision, or nothing (try again at once).
    private ByteSequence watchKey;
    private long watchFrom;
    private boolean again;
    private CompletableFuture<Void> waiting;

    EtcdContention(Holds holds, String id, ByteSequence key, Duration ttl, Duration timeout, boolean queues) {
        this.holds = holds;
        this.id = id;
        this.key = key;
        this.ttl = ttl;
        this.timeout = timeout;
        this.queues = queues;
    }

    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        holds.ensureOpen();
        watchKey = null;
        again = false;
        if (placeLease != null) {
            keepPlaceAlive();
            if (!first && !standing()) {
                return Optional.empty();
            }
        }
        return holds.acquire(id, key, ttl, timeout, this);
    }

    /**
     * Where a queued call that is not known to be first stands, in one read: false if it must wait
     * (for its predecessor, or for the lock key), or start over (its place is gone).
     */
    private boolean standing() throws InterruptedException {
        EtcdStore store = holds.store();
        TxnResponse now = store.await(store.readTogether(WaitQueue.before(key, placeRevision), WaitQueue.look(place), WaitQueue.look(key)),
                System.nanoTime() + timeout.toNanos(), id, "acquire");
        List<GetResponse> reads = now.getGetResponses();
        long next = now.getHeader().getRevision() + 1;
        if (reads.get(1).getKvs().isEmpty()) {
            lostPlace();
            return false;
        }
        if (!reads.get(0).getKvs().isEmpty()) {
            waitFor(reads.get(0).getKvs().get(0).getKey(), next);
            return false;
        }
        first = true;
        if (!reads.get(2).getKvs().isEmpty()) {
            waitFor(key, next);
            return false;
        }
        return true;
    }

    /** A place waits at most a third of the ttl between attempts; its lease is kept alive once half of it may be gone. */
    private void keepPlaceAlive() {
        SharedLease lease = placeLease;
        if (lease.sureNanosFrom(System.nanoTime()) < lease.grantedTtlNanos() / 2) {
            holds.sessions().keepAlive(lease).exceptionally(error -> null);
        }
    }

    /**
     * A call that is not queued reads the queue's head first only when this driver last saw waiters
     * for the lock: then its transaction takes nothing while that place is there. Otherwise it reads
     * nothing and takes a free lock optimistically: one round trip where the lock is free and nobody
     * waits, the common case. Either way the transaction that takes the key also reads the head at
     * the same revision as the put, and {@link #taken} gives the key back if a place was there: no
     * take passes a waiter, not even one that queued between the read and the transaction.
     */
    @Override
    public void prepare(long deadlineNanos) throws InterruptedException {
        if (placeLease != null) {
            return;
        }
        if (queues) {
            place = holds.newPlace(key);
        }
        headSeen = null;
        if (!holds.waitersSeen(key)) {
            return;
        }
        EtcdStore store = holds.store();
        GetResponse head = store.await(store.read(WaitQueue.prefix(key), WaitQueue.headOption(key)), deadlineNanos, id, "acquire");
        headSeen = head.getKvs().isEmpty() ? null : head.getKvs().get(0).getKey();
        holds.sawWaiters(key, headSeen != null);
    }

    @Override
    public List<Cmp> conditions() {
        if (placeLease != null) {
            return List.of(WaitQueue.createdAt(place, placeRevision));
        }
        return headSeen == null ? List.of() : List.of(WaitQueue.absent(headSeen));
    }

    @Override
    public List<Op> alsoOnTake() {
        if (placeLease != null) {
            return List.of(WaitQueue.delete(place));
        }
        return List.of(WaitQueue.head(key));
    }

    @Override
    public List<Op> otherwise(long leaseId) {
        if (placeLease != null) {
            return List.of(WaitQueue.look(place), WaitQueue.look(key));
        }
        if (queues) {
            return List.of(WaitQueue.put(place, holds.holderValue(), leaseId), WaitQueue.newestTwo(key), WaitQueue.look(key));
        }
        return List.of();
    }

    @Override
    public boolean taken(TxnResponse response) {
        if (placeLease != null) {
            // The transaction deleted the place.
            holds.endUse(placeLease);
            placeLease = null;
            return true;
        }
        // The head as of the put: a place there was created before it (maybe after a head read
        // first, which was then already gone), so its waiter comes first.
        boolean passedAWaiter = !response.getGetResponses().get(0).getKvs().isEmpty();
        holds.sawWaiters(key, passedAWaiter);
        return !passedAWaiter;
    }

    @Override
    public void notTaken(TxnResponse response, SharedLease session) {
        long revision = response.getHeader().getRevision();
        List<GetResponse> reads = response.getGetResponses();
        if (placeLease != null) {
            if (reads.get(0).getKvs().isEmpty()) {
                lostPlace();
            } else if (!reads.get(1).getKvs().isEmpty()) {
                waitFor(key, revision + 1);
            } else {
                again = true;
            }
            return;
        }
        if (!queues) {
            return;
        }
        // The place was written in this transaction (its only write, or beside the delete of a key given back): at the answer's revision.
        if (!session.tryUse()) {
            // The lease is being retired: the place must not outlive this call on it.
            holds.reclaimer().deleteKnown(id, place, revision, session);
            again = true;
            return;
        }
        placeLease = session;
        placeRevision = revision;
        ByteSequence predecessor = WaitQueue.firstOther(reads.get(0), place);
        first = predecessor == null;
        if (predecessor != null) {
            waitFor(predecessor, revision + 1);
        } else if (!reads.get(1).getKvs().isEmpty()) {
            waitFor(key, revision + 1);
        } else {
            again = true;
        }
    }

    @Override
    public void uncertain(CompletableFuture<TxnResponse> txn, SharedLease session) {
        if (placeLease == null && queues) {
            holds.reclaimer().afterUncertainPlace(id, place, holds.holderValue(), session, txn);
        }
    }

    /** The place vanished (its lease expired or was revoked): the next attempt queues again, at the end. */
    private void lostPlace() {
        holds.endUse(placeLease);
        placeLease = null;
        first = false;
        again = true;
    }

    private void waitFor(ByteSequence watched, long fromRevision) {
        watchKey = watched;
        watchFrom = fromRevision;
    }

    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        awaitBlocking(awaitReleaseAsync(maxWait), maxWait);
    }

    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        if (again) {
            again = false;
            return CompletableFuture.completedFuture(null);
        }
        Duration wait = placeLease != null && maxWait.compareTo(ttl.dividedBy(3)) > 0 ? ttl.dividedBy(3) : maxWait;
        ByteSequence watched = watchKey == null ? key : watchKey;
        long fromRevision = watchKey == null ? 0 : watchFrom;
        // Used once: a second wait without a new attempt would replay the same delete at once.
        watchKey = null;
        waiting = awaitDelete(holds, id, key, watched, fromRevision, wait);
        return waiting;
    }

    /** Stops a wait still in progress (its watch and timer) and leaves the queue; a lease already returned stays the caller's. */
    @Override
    public void close() {
        CompletableFuture<Void> current = waiting;
        waiting = null;
        if (current != null) {
            current.cancel(false);
        }
        SharedLease lease = placeLease;
        placeLease = null;
        if (lease != null) {
            leave(lease);
        }
    }

    /**
     * Deletes this call's place, waiting for etcd's answer up to the request timeout (so a
     * {@code tryLock()} right after a timed-out wait does not meet it), even on an interrupted thread;
     * retried in the background if it fails: a place left behind would hold up every later waiter.
     * Its deletion wakes the next waiter, which watches it.
     */
    private void leave(SharedLease lease) {
        EtcdStore store = holds.store();
        try {
            TxnResponse deleted = store.awaitUninterruptibly(store.deleteIfOurs(place, placeRevision),
                    System.nanoTime() + holds.requestTimeout().toNanos(), id, "leave the waiter queue");
            if (!deleted.isSucceeded()) {
                LOG.debug("place of a waiter for lock '{}' was already gone", id);
            }
        } catch (RuntimeException e) {
            LOG.debug("could not delete the place of a waiter for lock '{}' at once; retrying in the background: {}", id, e.toString());
            holds.reclaimer().deleteKnown(id, place, placeRevision, lease);
        } finally {
            holds.endUse(lease);
        }
    }

    /**
     * A wait for {@code key}'s deletion ({@code lockKey} or one of its places): completes when etcd
     * reports it deleted (after {@code fromRevision - 1}, or after a read when it is 0), at once if the
     * key is absent, after a short pause if etcd does not answer the read, and at the latest after
     * {@code maxWait}. The lock's {@link QueueWatch} reports the delete. Cancelling it ends the wait.
     */
    static CompletableFuture<Void> awaitDelete(Holds holds, String id, ByteSequence lockKey, ByteSequence key, long fromRevision,
            Duration maxWait) {
        long maxNanos = Objects.requireNonNull(maxWait, "maxWait must not be null").toNanos();
        if (maxNanos <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        holds.ensureOpen();
        CompletableFuture<Void> freed = new CompletableFuture<>();
        holds.completeAfter(freed, maxNanos);
        if (fromRevision > 0) {
            holds.queueWatches().awaitDelete(lockKey, key, fromRevision - 1, freed);
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
                    } else if (!freed.isDone()) {
                        holds.queueWatches().awaitDelete(lockKey, key, now.getHeader().getRevision(), freed);
                    }
                });
        return freed;
    }

    /** Blocks on {@code freed} for at most {@code maxWait}, then drops it (its registration with the lock's watch goes). */
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
