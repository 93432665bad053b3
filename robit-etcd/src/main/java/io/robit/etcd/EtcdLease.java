package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.AsyncLease;
import io.robit.spi.SessionLease;
import io.robit.spi.support.BaseLease;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One hold of a lock on etcd: the key {@code prefix + id}, created with create revision
 * {@link #fencingToken()} and bound to a {@link SharedLease}, its session: the core renews it by
 * keeping that etcd lease alive, once for all the holds on it. A watch on the key (from the
 * revision after its creation, deletes only) completes {@link #lost()} as soon as etcd deletes it:
 * lease expiry or revoke (then the session is gone too, for every hold on it), or another client
 * deleting it (this hold alone). The once-only release-versus-loss transition is
 * {@link BaseLease}'s. Thread-safe.
 */
final class EtcdLease extends BaseLease implements SessionLease, AsyncLease {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdLease.class);
    private static final long REWATCH_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final Duration LEASE_CHECK_TIMEOUT = Duration.ofSeconds(1);

    private final Holds holds;
    private final String id;
    private final ByteSequence key;
    private final SharedLease session;
    private final long guaranteedNanos;
    private volatile LockLostException loss;
    // The latest refresh failed (no answer, or an error): etcd may be unreachable.
    private volatile boolean renewalFailing;
    // Guards `watcher`; never held while calling into jetcd.
    private final ReentrantLock watchLock = new ReentrantLock();
    private Watch.Watcher watcher;
    // Which watch is current: only its end calls for a new one.
    private final AtomicLong watchGeneration = new AtomicLong();

    /** @param guaranteedNanos how long from the acquire's start the shared lease surely lasted (at most the ttl) */
    EtcdLease(Holds holds, String id, ByteSequence key, long token, SharedLease session, long guaranteedNanos) {
        super(id, token);
        this.guaranteedNanos = guaranteedNanos;
        this.holds = holds;
        this.id = id;
        this.key = key;
        this.session = session;
    }

    String id() {
        return id;
    }

    ByteSequence key() {
        return key;
    }

    /** The shared etcd lease the key is bound to: this hold's session. */
    @Override
    public SharedLease session() {
        return session;
    }

    Holds holds() {
        return holds;
    }

    private boolean isActive() {
        return !isReleaseBegun() && !isLost();
    }

    /**
     * What the shared lease surely had left when this hold was acquired: the ttl if the acquire kept
     * it alive (etcd grants at least the ttl, in whole seconds), else a little less (at least
     * {@code minTrustedFraction} of it). Every refresh then extends the lease to at least the ttl.
     */
    @Override
    public Duration guaranteedTtl(Duration requested) {
        Duration guaranteed = Duration.ofNanos(Math.min(guaranteedNanos, session.grantedTtlNanos()));
        return guaranteed.compareTo(requested) < 0 ? guaranteed : requested;
    }

    /**
     * Keeps the shared lease alive if it might not last {@code ttl} from now (one keep-alive; etcd
     * cannot shorten a lease, so a lease that surely lasts longer needs none), and checks the key
     * is still ours. Both requests go out together. A lease already past its sure time is not
     * revived: the hold is lost ({@link LossReason#EXPIRED}). The core does not call it (it keeps
     * the session alive instead); it serves other callers of the SPI.
     */
    @Override
    public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
        try {
            refreshAsync(ttl, timeout).get();
        } catch (ExecutionException e) {
            Throwable cause = EtcdStore.unwrap(e);
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw holds.store().failure(id, "refresh", cause);
        }
    }

    /** {@link #refresh} without blocking: completes on jetcd's threads, within {@code timeout}. */
    @Override
    public CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout) {
        EtcdDriver.requirePositive(ttl, "ttl");
        EtcdDriver.requirePositive(timeout, "timeout");
        LockLostException lostAlready = loss;
        if (lostAlready != null) {
            return CompletableFuture.failedFuture(lostAlready);
        }
        if (isReleaseBegun()) {
            return CompletableFuture.failedFuture(new IllegalStateException("the lease on lock '" + id + "' was released; it cannot be refreshed"));
        }
        long start = System.nanoTime();
        if (!session.lastsUntil(start)) {
            return CompletableFuture.failedFuture(expiredUnrenewed());
        }
        CompletableFuture<?> keeping = session.lastsUntil(start + ttl.toNanos())
                ? CompletableFuture.completedFuture(null)
                : holds.sessions().keepAlive(session);
        CompletableFuture<Throwable> alive = keeping.handle((ignored, error) -> error == null ? null : EtcdStore.unwrap(error));
        CompletableFuture<Object> owner = holds.store().read(key).handle((response, error) -> error == null ? response : EtcdStore.unwrap(error));
        return alive.thenCombine(owner, this::judge)
                .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .handle((ignored, error) -> {
                    renewalFailing = error != null;
                    if (error == null) {
                        return null;
                    }
                    Throwable cause = EtcdStore.unwrap(error);
                    if (cause instanceof TimeoutException) {
                        cause = holds.store().failure(id, "refresh", holds.store().noAnswer());
                    }
                    throw cause instanceof CompletionException c ? c : new CompletionException(cause);
                });
    }

    /**
     * Nobody kept the session alive until its sure time: etcd may already have freed the key, so
     * the hold is past its deadline (as a Redis or SQL hold is once its expiry passes). A keep-alive
     * now could still revive the lease (etcd expires it a little after our sure time) and with it a
     * hold its holder may already count as lost; so the hold is lost, and its key, if etcd still has
     * it, is deleted (ours only) rather than left on a lease another hold may keep alive.
     */
    private LockLostException expiredUnrenewed() {
        String detail = session.lost().isDone() ? "etcd " + session + " is gone (expired or revoked)"
                : "etcd " + session + " was not kept alive in time: etcd may already have freed the key";
        LockLostException lost = markLost(LossReason.EXPIRED, detail);
        holds.reclaimer().deleteKnown(id, key, fencingToken(), session);
        return lost;
    }

    /** The verdict on one refresh: the keep-alive's failure (or null), and the key as read (or the read's failure). */
    private Void judge(Throwable aliveError, Object owner) {
        if (aliveError instanceof SharedLeases.GoneException gone) {
            throw new CompletionException(markLost(LossReason.EXPIRED, gone.getMessage()));
        }
        if (aliveError != null) {
            throw new CompletionException(holds.store().failure(id, "refresh", aliveError));
        }
        if (owner instanceof Throwable readError) {
            throw new CompletionException(holds.store().failure(id, "refresh", readError));
        }
        GetResponse response = (GetResponse) owner;
        if (response.getKvs().isEmpty()) {
            throw new CompletionException(markLost(LossReason.GONE, "its key " + key.toString(StandardCharsets.UTF_8) + " was deleted (by another client, or its lease was revoked)"));
        }
        KeyValue kv = response.getKvs().get(0);
        if (kv.getCreateRevision() != fencingToken()) {
            throw new CompletionException(markLost(LossReason.TAKEN_OVER, "its key now belongs to another holder (create revision "
                    + kv.getCreateRevision() + ", ours was " + fencingToken() + ")"));
        }
        if (kv.getLease() != session.id()) {
            throw new CompletionException(markLost(LossReason.GONE, "its key was overwritten by another client (now bound to lease "
                    + Long.toHexString(kv.getLease()) + ")"));
        }
        return null;
    }

    /** Starts watching the key for its deletion, from {@code fromRevision}. */
    void watchFrom(long fromRevision) {
        if (!isActive() || holds.isClosed()) {
            return;
        }
        long generation = watchGeneration.incrementAndGet();
        Watch.Watcher started = holds.store().watchDeletes(key, fromRevision, this::onKeyDeleted, this::onWatchError,
                () -> onWatchEnded(generation));
        Watch.Watcher stale;
        watchLock.lock();
        try {
            stale = watcher;
            watcher = started;
        } finally {
            watchLock.unlock();
        }
        if (stale != null) {
            stale.close();
        }
        if (!isActive()) {
            stopWatching();
        }
    }

    void stopWatching() {
        Watch.Watcher current;
        watchLock.lock();
        try {
            current = watcher;
            watcher = null;
        } finally {
            watchLock.unlock();
        }
        if (current != null) {
            current.close();
        }
    }

    /** Whether the latest refresh failed: etcd may be unreachable, and the hold is lost or about to be. */
    boolean renewalFailing() {
        return renewalFailing;
    }

    /**
     * etcd says the key is no longer ours: completes {@link #lost()} once (not after the release
     * began) and stops the watch. Returns the exception that describes the loss.
     */
    LockLostException markLost(LossReason reason, String detail) {
        LockLostException candidate = new LockLostException(id, reason, detail);
        if (signalLost(candidate)) {
            loss = candidate;
            LOG.debug("lock '{}' (token {}) lost: {}", id, fencingToken(), detail);
            stopWatching();
        }
        LockLostException earlier = loss;
        return earlier != null ? earlier : candidate;
    }

    private void onKeyDeleted() {
        if (!isActive()) {
            return;
        }
        // One quick question tells expiry from a delete, and lets the next acquire skip a dead lease.
        holds.sessions().isGone(session).orTimeout(LEASE_CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).whenComplete((gone, error) -> {
            if (Boolean.TRUE.equals(gone)) {
                // isGone marked the session gone: every other hold on it is told through it.
                markLost(LossReason.EXPIRED, "its key was deleted because etcd " + session + " expired or was revoked");
            } else {
                markLost(LossReason.GONE, "its key was deleted by another client");
            }
        });
    }

    private void onWatchError(Throwable error) {
        // jetcd resumes the watch from the last revision it saw; a watch it gives up on ends in onWatchEnded.
        LOG.debug("watch of lock '{}' (token {}) failed (jetcd resumes it, or ends it and it is reopened): {}", id, fencingToken(), error.toString());
    }

    private void onWatchEnded(long generation) {
        if (generation == watchGeneration.get() && isActive() && !holds.isClosed()) {
            holds.schedule(this::recheckAndRewatch, REWATCH_DELAY_NANOS);
        }
    }

    /** After jetcd gave up a watch (compaction, no leader): check the key, then watch again from now. */
    private void recheckAndRewatch() {
        if (!isActive() || holds.isClosed()) {
            return;
        }
        holds.store().read(key).whenComplete((response, error) -> {
            if (error != null) {
                holds.schedule(this::recheckAndRewatch, REWATCH_DELAY_NANOS);
                return;
            }
            if (response.getKvs().isEmpty()) {
                onKeyDeleted();
            } else if (response.getKvs().get(0).getCreateRevision() != fencingToken()) {
                markLost(LossReason.TAKEN_OVER, "its key now belongs to another holder (create revision "
                        + response.getKvs().get(0).getCreateRevision() + ")");
            } else {
                watchFrom(response.getHeader().getRevision() + 1);
            }
        });
    }

    @Override
    public String toString() {
        return "EtcdLease[" + id + ", token " + fencingToken() + ", " + session + "]";
    }
}
