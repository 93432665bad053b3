package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import io.robit.DriverException;
import io.robit.spi.Lease;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One driver's holds on etcd: taking a lock key on the shared lease ({@link SharedLeases}),
 * giving it back, and the bookkeeping that keeps the shared lease safe (a lease is revoked only when
 * retired and without users, so a revoke never deletes the key of a live hold or of an acquire in
 * flight; keys no hold owns go to the {@link KeyReclaimer}). Also the driver's one timer thread.
 * Thread-safe.
 */
final class Holds {
    private static final Logger LOG = LoggerFactory.getLogger(Holds.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final int MAX_REMEMBERED_QUEUES = 4096;

    private final EtcdStore store;
    private final SharedLeases sessions;
    private final Duration requestTimeout;
    private final Duration leaseHeadroom;
    private final double minTrustedFraction;
    private final ByteSequence holderValue;
    private final ScheduledThreadPoolExecutor timer;
    private final DeferredWatches watches;
    private final KeyReclaimer reclaimer;
    private final QueueWatches queueWatches = new QueueWatches(this);
    private final AtomicLong attempts = new AtomicLong();
    private final String placeId = UUID.randomUUID().toString();
    private final AtomicLong places = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    // Whether a lease was ever granted: until then acquires connect outside their time limit.
    private volatile boolean warm;
    // Locks whose waiter queue this driver last saw non-empty (see waitersSeen).
    private final Set<ByteSequence> withWaiters = ConcurrentHashMap.newKeySet();
    // Holds not yet ended, so close() can stop their watches on a client it does not own.
    private final Set<EtcdLease> active = ConcurrentHashMap.newKeySet();

    Holds(EtcdStore store, Client client, LeaseChannel leaseChannel, Duration requestTimeout, Duration leaseHeadroom, double minTrustedFraction) {
        this.store = store;
        this.requestTimeout = requestTimeout;
        this.leaseHeadroom = leaseHeadroom;
        this.minTrustedFraction = minTrustedFraction;
        this.sessions = new SharedLeases(client.getLeaseClient(), leaseChannel, store, requestTimeout);
        // pid@host/session UUID: the process first, as every driver describes a holder (see LockInfo.owner).
        this.holderValue = ByteSequence.from(ManagementFactory.getRuntimeMXBean().getName() + "/session " + UUID.randomUUID(),
                StandardCharsets.UTF_8);
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "robit-etcd-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.timer.setRemoveOnCancelPolicy(true);
        this.watches = new DeferredWatches(timer);
        this.reclaimer = new KeyReclaimer(store, timer, closed::get, requestTimeout);
    }

    /**
     * One attempt: one transaction that creates the key bound to the shared lease if it does not
     * exist and {@code turn}'s conditions (the waiter queue's) hold. Empty if another hold has it or
     * the queue says it is not this caller's turn; {@code turn} learns which from the answer.
     */
    Optional<Lease> acquire(String id, ByteSequence key, Duration ttl, Duration timeout, Turn turn) throws InterruptedException {
        long ttlNanos = ttl.toNanos();
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        // A lease that etcd dropped between our last look and this request costs one retry with a fresh lease.
        for (int attempt = 1; ; ) {
            CompletableFuture<SharedLease> granting = sessions.forTtl(SharedLeases.ttlSeconds(ttl.plus(leaseHeadroom)));
            SharedLease session;
            if (!warm && !granting.isDone()) {
                // A cold client connects (and is granted its first lease) first, which on a loaded machine
                // or over TLS may take longer than one attempt is allowed: bounded by the request timeout
                // instead, and the attempt's own limit starts once it is done. (The hold's local deadline
                // is the core's, counted from before this call, and start stays before the grant was
                // sent: waiting here only shortens what the hold trusts.)
                session = store.await(granting, System.nanoTime() + Math.max(timeout.toNanos(), requestTimeout.toNanos()), id, "acquire");
                deadline = System.nanoTime() + timeout.toNanos();
            } else {
                session = store.await(granting, deadline, id, "acquire");
            }
            warm = true;
            // Counted before the transaction is sent: from then on a revoke of this lease could delete our key.
            if (!session.tryUse()) {
                // Retired or dropped since it was handed out: the next look grants a fresh one.
                if (deadline - System.nanoTime() <= 0) {
                    throw store.failure(id, "acquire", new TimeoutException("no usable etcd lease in time"));
                }
                continue;
            }
            boolean holdStarted = false;
            try {
                Optional<Lease> lease = transact(id, key, session, start, ttlNanos, deadline, turn);
                holdStarted = lease.isPresent();
                return lease;
            } catch (SharedLeases.GoneException gone) {
                if (++attempt > 2) {
                    throw store.failure(id, "acquire", gone);
                }
            } finally {
                // The attempt stays a user of its lease only if it started a hold (a place in the queue takes a use of its own).
                if (!holdStarted) {
                    endUse(session);
                }
            }
        }
    }

    private Optional<Lease> transact(String id, ByteSequence key, SharedLease session, long start, long ttlNanos, long deadline,
            Turn turn) throws InterruptedException, SharedLeases.GoneException {
        // While the shared lease surely lasts most of the ttl, skip the keep-alive and let the hold trust
        // what is left (Lease.guaranteedTtl); else keep it alive, in the same round trip as the transaction.
        long sure = session.sureNanosFrom(start);
        boolean keepAlive = sure < (long) (ttlNanos * minTrustedFraction);
        long guaranteedNanos = keepAlive ? ttlNanos : Math.min(ttlNanos, sure);
        CompletableFuture<?> alive = keepAlive ? sessions.keepAlive(session) : CompletableFuture.completedFuture(null);
        // A value of its own lets this attempt recognise its key if the answer never comes.
        ByteSequence value = holderValue.concat(ByteSequence.from(" #" + attempts.incrementAndGet(), StandardCharsets.UTF_8));
        turn.prepare(deadline);
        CompletableFuture<TxnResponse> txn = store.createIfAbsent(key, value, session.id(), turn.conditions(), turn.alsoOnTake(),
                turn.otherwise(session.id()));
        TxnResponse response;
        try {
            response = txn.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (EtcdStore.isLeaseNotFound(e)) {
                SharedLeases.GoneException gone = new SharedLeases.GoneException(session);
                session.markGone(gone.getMessage());
                throw gone;
            }
            // Sent, then failed (reset, leader change, ...): it may still have been applied.
            reclaimer.afterUncertainAcquire(id, key, value, session, txn);
            turn.uncertain(txn, session);
            throw store.failure(id, "acquire", EtcdStore.unwrap(e));
        } catch (TimeoutException e) {
            reclaimer.afterUncertainAcquire(id, key, value, session, txn);
            turn.uncertain(txn, session);
            throw store.failure(id, "acquire", store.noAnswer());
        } catch (InterruptedException e) {
            reclaimer.afterUncertainAcquire(id, key, value, session, txn);
            turn.uncertain(txn, session);
            throw e;
        }
        if (!response.isSucceeded()) {
            turn.notTaken(response, session);
            return Optional.empty();
        }
        long token = response.getHeader().getRevision();
        if (!turn.taken(response)) {
            giveBack(id, key, token, session, deadline, turn);
            return Optional.empty();
        }
        try {
            store.await(alive, deadline, id, "acquire");
        } catch (DriverException e) {
            if (e.getCause() instanceof SharedLeases.GoneException gone) {
                // etcd deleted the key together with the lease.
                throw gone;
            }
            reclaimer.deleteKnown(id, key, token, session);
            throw e;
        } catch (InterruptedException e) {
            reclaimer.deleteKnown(id, key, token, session);
            throw e;
        }
        EtcdLease lease = new EtcdLease(this, id, key, token, session, guaranteedNanos);
        active.add(lease);
        watches.watchSoon(lease);
        return Optional.of(lease);
    }

    /**
     * Deletes a key just taken (create revision {@code token}) that passed a waiter, in one transaction
     * with what {@code turn} does when it does not take the lock (a waiting call queues there). The
     * key was never anyone's hold; its token is simply not used. If etcd does not answer, the key is
     * deleted in the background (owner-checked) and the attempt fails as one with an unknown outcome.
     */
    private void giveBack(String id, ByteSequence key, long token, SharedLease session, long deadline, Turn turn)
            throws InterruptedException {
        CompletableFuture<TxnResponse> txn = store.deleteIfOursAnd(key, token, turn.otherwise(session.id()));
        try {
            turn.notTaken(txn.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS), session);
        } catch (ExecutionException | TimeoutException e) {
            reclaimer.deleteKnown(id, key, token, session);
            turn.uncertain(txn, session);
            throw store.failure(id, "acquire", e instanceof TimeoutException ? store.noAnswer() : EtcdStore.unwrap(e));
        } catch (InterruptedException e) {
            reclaimer.deleteKnown(id, key, token, session);
            turn.uncertain(txn, session);
            throw e;
        }
    }

    /**
     * Whether this driver last saw waiters in {@code lockKey}'s queue: then an attempt that is not
     * queued reads the queue before its transaction rather than taking the lock and giving it back.
     * Only a hint (another process's waiters come and go unseen): it costs a round trip or a give-back,
     * never fairness, and is right again after one attempt.
     */
    boolean waitersSeen(ByteSequence lockKey) {
        return withWaiters.contains(lockKey);
    }

    void sawWaiters(ByteSequence lockKey, boolean waiters) {
        if (!waiters) {
            withWaiters.remove(lockKey);
            return;
        }
        if (withWaiters.size() >= MAX_REMEMBERED_QUEUES) {
            // Bounded: forgetting costs at most one give-back per lock.
            withWaiters.clear();
        }
        withWaiters.add(lockKey);
    }

    /**
     * See {@link EtcdDriver#release}: {@code held}'s release has just begun (once). Its key is
     * deleted unless etcd already told us it is gone or no longer ours.
     */
    void release(EtcdLease held) {
        held.stopWatching();
        ended(held);
        if (held.isLost()) {
            return;
        }
        if (held.renewalFailing() || held.session().keepAliveFailing()) {
            // Usually a release after the core declared the hold lost: etcd may be unreachable, and
            // waiting for it would hold a thread per lock. Delete in the background, retried.
            reclaimer.deleteKnown(held.id(), held.key(), held.fencingToken(), held.session());
            return;
        }
        try {
            CompletableFuture<TxnResponse> delete = store.deleteIfOurs(held.key(), held.fencingToken());
            store.awaitUninterruptibly(delete, System.nanoTime() + requestTimeout.toNanos(), held.id(), "release");
        } catch (RuntimeException e) {
            // The key stays until the retried delete succeeds or its lease ends with its last user
            // (at once if it has none: then no other key can be on it).
            if (held.session().retire() && !isClosed()) {
                sessions.revoke(held.session());
            }
            reclaimer.deleteKnown(held.id(), held.key(), held.fencingToken(), held.session());
            LOG.warn("release of lock '{}' failed; retrying the delete in the background (the key ends at the latest with etcd {}): {}",
                    held.id(), held.session(), e.toString());
        }
    }

    /** A hold was released (after a loss too): it no longer uses its etcd lease. */
    private void ended(EtcdLease lease) {
        active.remove(lease);
        endUse(lease.session());
    }

    /** One user of {@code session} is done; the last user of a retired lease revokes it (no live key can be on it). */
    void endUse(SharedLease session) {
        if (session.unuse() && !isClosed()) {
            sessions.revoke(session);
        }
    }

    EtcdStore store() {
        return store;
    }

    KeyReclaimer reclaimer() {
        return reclaimer;
    }

    /** A new place in {@code lockKey}'s waiter queue, unique to one waiting call, and its value (who waits). */
    ByteSequence newPlace(ByteSequence lockKey) {
        return WaitQueue.prefix(lockKey).concat(ByteSequence.from(placeId + "-" + places.incrementAndGet(), StandardCharsets.UTF_8));
    }

    /** What a place of this driver's says: the same owner description as its lock keys. */
    ByteSequence holderValue() {
        return holderValue;
    }

    SharedLeases sessions() {
        return sessions;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    boolean isClosed() {
        return closed.get();
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this etcd driver (" + store.backend() + ") is closed");
        }
    }

    /** Runs {@code task} on the driver's thread (off jetcd's event loop), or here once the driver is closed. */
    void runCallback(Runnable task) {
        try {
            timer.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** Runs {@code task} after {@code delayNanos}; nothing once the driver is closed. */
    void schedule(Runnable task, long delayNanos) {
        try {
            timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Closed: nothing more to do.
        }
    }

    /** Runs {@code task} after {@code delayNanos}; null (and nothing runs) once the driver is closed. */
    ScheduledFuture<?> scheduleOrNull(Runnable task, long delayNanos) {
        try {
            return timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    QueueWatches queueWatches() {
        return queueWatches;
    }

    /** Completes {@code future} after {@code delayNanos} (at once if the driver is closed); the timer task goes when it completes. */
    void completeAfter(CompletableFuture<Void> future, long delayNanos) {
        try {
            ScheduledFuture<?> task = timer.schedule(() -> future.complete(null), delayNanos, TimeUnit.NANOSECONDS);
            future.whenComplete((ignored, error) -> task.cancel(false));
        } catch (RejectedExecutionException closedMeanwhile) {
            future.complete(null);
        }
    }

    /** Stops the timer and every hold's watch. Leases still held simply expire. Idempotent; true the first time. */
    boolean closeOnce() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        timer.shutdownNow();
        queueWatches.closeAll();
        sessions.close();
        for (EtcdLease lease : active) {
            lease.stopWatching();
        }
        active.clear();
        return true;
    }
}
