package io.robit.zookeeper;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.AsyncLease;
import io.robit.spi.SessionLease;
import io.robit.spi.support.Arguments;
import io.robit.spi.support.BaseLease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * A lease on a ZooKeeper lock: our ephemeral sequential node while it is the lowest under the
 * lock's node. Thread-safe.
 *
 * <p>It ends, at the earliest of: {@link ZooKeeperDriver#release release}; the node being deleted
 * (our exists-watch fires, or a refresh finds it gone or owned by another session); the session
 * ending (Curator reports {@code LOST}, or a new session after {@code RECONNECTED}); the ttl running
 * out without a refresh (then the driver deletes the node itself, so a live but stalled holder frees
 * the lock after its ttl, as on every other backend); or the connection staying suspended past
 * the session timeout since the last confirmed contact (see {@link ZooKeeperDriver}).
 */
final class ZooKeeperLease extends BaseLease implements AsyncLease, SessionLease {
    private final ZooKeeperContext context;
    private final Node node;
    private final ZooKeeperSession session;
    // Guards the two fields below; never held across I/O. The driver's one LeaseExpiry timer reads them.
    private final ReentrantLock lock = new ReentrantLock();
    private long expiresAt;
    private long ttlNanos;
    // How much older than the acquire's send the last proof of our session was: the guarantee shrinks by it.
    private final long staleNanos;

    /** The fencing token is the zxid that created our node: it grows with every transaction on the ensemble. */
    ZooKeeperLease(ZooKeeperContext context, Node node, ZooKeeperSession session, long sentNanos, Duration ttl, long provenNanos) {
        super(node.lockId(), node.czxid());
        this.context = context;
        this.node = node;
        this.session = session;
        this.ttlNanos = ttl.toNanos();
        this.expiresAt = Math.min(sentNanos, provenNanos) + ttlNanos;
        this.staleNanos = Math.max(0, sentNanos - provenNanos);
    }

    /**
     * The ZooKeeper session that owns our node: ZooKeeper deletes the node when it expires the
     * session, and not before unless someone deletes it (our watch tells that), so the session's
     * keep-alive renews this lease with every other lease on it.
     */
    @Override
    public ZooKeeperSession session() {
        return session;
    }

    /** The session was confirmed alive by a keep-alive sent at {@code sentNanos}: the ttl timer runs from then. */
    void renewedBySession(long sentNanos) {
        lock.lock();
        try {
            // Later, never sooner: the driver's timer finds the moved expiry when it runs; nothing to reschedule.
            if (isHeld() && sentNanos + ttlNanos - expiresAt > 0) {
                expiresAt = sentNanos + ttlNanos;
            }
        } finally {
            lock.unlock();
        }
    }

    Node node() {
        return node;
    }

    /** Leaves an exists-watch on our node: the holder learns of a delete behind its back at once, not at its next refresh. */
    void watchNode() {
        context.store().watchDeletion(node, detail -> end(LossReason.GONE, detail));
    }

    /** Neither released nor lost. */
    boolean isHeld() {
        return !isLost() && !isReleaseBegun();
    }

    boolean belongsTo(ZooKeeperContext candidate) {
        return context == candidate;
    }

    /** Puts the lease under the driver's ttl timer; called once, after construction. */
    void start() {
        context.expiry().arm(expiresAtNanos());
    }

    /**
     * Confirms that the connection is up and that our node still exists with our czxid and our
     * session as owner (so it is still first: nothing can get ahead of an existing node), then
     * extends the driver's ttl timer. The read follows a {@code sync}, so it is the leader's view:
     * a follower cut off from the leader, which the leader may already have expired our session
     * behind, cannot confirm the lease.
     */
    @Override
    public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
        long sent = beginRefresh(ttl, timeout);
        context.store().sync(node.lockId(), "refresh", node.path(), timeout);
        Duration left = Duration.ofNanos(Math.max(0, sent + timeout.toNanos() - context.ticker().read()));
        renewedWith(sent, ttl, context.store().exists(node.lockId(), "refresh", node.path(), null, left));
    }

    /** {@link #refresh} without blocking: the answer completes the future on Curator's event thread. */
    @Override
    public CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout) {
        long sent;
        try {
            sent = beginRefresh(ttl, timeout);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            context.client().sync().inBackground((client, synced) -> {
                int code = synced.getResultCode();
                if (code != KeeperException.Code.OK.intValue() && code != KeeperException.Code.NONODE.intValue()) {
                    done.completeExceptionally(context.requests().failure(node.lockId(), "refresh", synced));
                } else {
                    existsAfterSync(sent, ttl, done);
                }
            }).forPath(node.path());
        } catch (Exception e) {
            done.completeExceptionally(new DriverException(context.backend(), node.lockId(), "refresh", e));
        }
        return done;
    }

    // The read of refreshAsync, once the sync is answered.
    private void existsAfterSync(long sent, Duration ttl, CompletableFuture<Void> done) {
        try {
            context.client().checkExists().inBackground((client, event) -> {
                try {
                    int code = event.getResultCode();
                    if (code != KeeperException.Code.OK.intValue() && code != KeeperException.Code.NONODE.intValue()) {
                        throw context.requests().failure(node.lockId(), "refresh", event);
                    }
                    context.noteContact(sent);
                    renewedWith(sent, ttl, code == KeeperException.Code.OK.intValue() ? event.getStat() : null);
                    done.complete(null);
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            }).forPath(node.path());
        } catch (Exception e) {
            done.completeExceptionally(new DriverException(context.backend(), node.lockId(), "refresh", e));
        }
    }

    /**
     * The shorter of {@code requested} and {@link SessionGuard#guarantee}, two thirds of the
     * negotiated session timeout less one server tick: if the holder is cut off, the leader may
     * expire the session, and free the lock, a session timeout after the last activity it heard of,
     * and a follower reports a session's activity only in its answers to the leader's pings. The core trusts the lease, and renews it, accordingly.
     * Less the time by which the last proof of the session preceded the acquire (a queued node taken
     * without a request is only as safe as that proof).
     */
    @Override
    public Duration guaranteedTtl(Duration requested) {
        Duration session = context.sessionGuarantee();
        Duration limit = (session == null ? requested : session.compareTo(requested) < 0 ? session : requested).minusNanos(staleNanos);
        return limit.isNegative() ? Duration.ZERO : limit;
    }

    // Checks the arguments and the state; returns the send time of the refresh.
    private long beginRefresh(Duration ttl, Duration timeout) {
        Arguments.positive("ttl", ttl);
        Arguments.positive("timeout", timeout);
        throwIfEnded();
        long sent = context.ticker().read();
        if (!context.isConnected()) {
            throw new DriverException(context.backend(), node.lockId(), "refresh", new KeeperException.ConnectionLossException());
        }
        return sent;
    }

    // What the server said of our node (null: it does not exist) decides: renewed, or lost.
    private void renewedWith(long sent, Duration ttl, Stat stat) {
        if (stat == null) {
            throw end(LossReason.GONE, "its node " + node.path() + " no longer exists (deleted, or its session expired)");
        }
        if (stat.getCzxid() != node.czxid() || stat.getEphemeralOwner() != node.sessionId()) {
            throw end(LossReason.TAKEN_OVER, "its node " + node.path() + " now belongs to session 0x" + Long.toHexString(stat.getEphemeralOwner()));
        }
        boolean held;
        long until;
        lock.lock();
        try {
            held = isHeld();
            if (held) {
                ttlNanos = ttl.toNanos();
                expiresAt = sent + ttlNanos;
            }
            until = expiresAt;
        } finally {
            lock.unlock();
        }
        if (!held) {
            throwIfEnded();
            return;
        }
        // A refresh with a shorter ttl than before may expire sooner than the timer stands.
        context.expiry().arm(until);
    }

    /**
     * Declares the lease lost unless it already ended (see {@link BaseLease#signalLost}), and takes
     * it off the driver's live leases (so the ttl timer no longer looks at it).
     *
     * @return the exception that describes this loss, for a refresh to throw
     */
    LockLostException end(LossReason reason, String detail) {
        LockLostException loss = new LockLostException(node.lockId(), reason, detail);
        if (signalLost(loss)) {
            context.forget(this);
        }
        return loss;
    }

    /**
     * Marks the lease released, so that our own delete is not taken for a loss.
     *
     * @return true the first time (then the caller deletes the node), false after
     */
    boolean markReleased() {
        return beginRelease();
    }

    private void throwIfEnded() {
        if (isLost()) {
            try {
                lost().join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof LockLostException loss) {
                    throw loss;
                }
            }
            throw new LockLostException(node.lockId(), LossReason.GONE, "the lease was lost");
        }
        if (isReleaseBegun()) {
            throw new LockLostException(node.lockId(), LossReason.GONE, "the lease was released");
        }
    }

    /** When the ttl runs out without a renewal, as a ticker reading. */
    long expiresAtNanos() {
        lock.lock();
        try {
            return expiresAt;
        } finally {
            lock.unlock();
        }
    }

    /**
     * On the driver's timer ({@link LeaseExpiry}): if the ttl ran out at {@code nowNanos} without a
     * renewal, gives the lock up as a ttl lease would (ends the lease, deletes the node).
     *
     * @return whether the lease is still held (then the timer must come back at {@link #expiresAtNanos})
     */
    boolean expireIfDue(long nowNanos) {
        lock.lock();
        try {
            if (!isHeld()) {
                return false;
            }
            if (expiresAt - nowNanos > 0) {
                return true;
            }
        } finally {
            lock.unlock();
        }
        end(LossReason.EXPIRED, "not refreshed within its ttl; the driver deleted its node");
        context.store().deleteInBackground(node);
        return false;
    }

    @Override
    public String toString() {
        return "ZooKeeperLease[" + node.lockId() + ", " + node.path() + ", token " + node.czxid() + "]";
    }
}
