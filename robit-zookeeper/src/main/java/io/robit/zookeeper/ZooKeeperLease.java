package io.robit.zookeeper;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.AsyncLease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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
final class ZooKeeperLease implements AsyncLease {
    private static final int HELD = 0;
    private static final int RELEASED = 1;
    private static final int LOST = 2;

    private final ZooKeeperContext context;
    private final Node node;
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    // Guards the fields below; never held across I/O.
    private final ReentrantLock lock = new ReentrantLock();
    private int state = HELD;
    private boolean releaseCalled;
    private long expiresAt;
    private ScheduledFuture<?> expiry;
    private LockLostException loss;

    ZooKeeperLease(ZooKeeperContext context, Node node, long sentNanos, Duration ttl) {
        this.context = context;
        this.node = node;
        this.expiresAt = sentNanos + ttl.toNanos();
    }

    Node node() {
        return node;
    }

    /** Leaves an exists-watch on our node: the holder learns of a delete behind its back at once, not at its next refresh. */
    void watchNode() {
        context.store().watchDeletion(node, detail -> lose(LossReason.GONE, detail));
    }

    /** Neither released nor lost. */
    boolean isHeld() {
        lock.lock();
        try {
            return state == HELD;
        } finally {
            lock.unlock();
        }
    }

    boolean belongsTo(ZooKeeperContext candidate) {
        return context == candidate;
    }

    /** Starts the ttl timer; called once, after construction. */
    void start() {
        lock.lock();
        try {
            scheduleExpiry();
        } finally {
            lock.unlock();
        }
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
     * The shorter of {@code requested} and the negotiated session timeout less one server tick: if
     * the holder is cut off, ZooKeeper may expire the session, and free the lock, that long after it
     * last heard from it, and the leader hears of a session's requests through a follower up to a
     * tick late. The core trusts the lease, and renews it, accordingly.
     */
    @Override
    public Duration guaranteedTtl(Duration requested) {
        Duration session = context.sessionGuarantee();
        if (session == null) {
            return requested;
        }
        return session.compareTo(requested) < 0 ? session : requested;
    }

    // Checks the arguments and the state; returns the send time of the refresh.
    private long beginRefresh(Duration ttl, Duration timeout) {
        ZooKeeperContext.checkPositive("ttl", ttl);
        ZooKeeperContext.checkPositive("timeout", timeout);
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
            throw lose(LossReason.GONE, "its node " + node.path() + " no longer exists (deleted, or its session expired)");
        }
        if (stat.getCzxid() != node.czxid() || stat.getEphemeralOwner() != node.sessionId()) {
            throw lose(LossReason.TAKEN_OVER, "its node " + node.path() + " now belongs to session 0x" + Long.toHexString(stat.getEphemeralOwner()));
        }
        lock.lock();
        try {
            if (state == HELD) {
                expiresAt = sent + ttl.toNanos();
                scheduleExpiry();
                return;
            }
        } finally {
            lock.unlock();
        }
        throwIfEnded();
    }

    @Override
    public CompletableFuture<Void> lost() {
        return lost;
    }

    /** The zxid that created our node: it grows with every transaction on the ensemble. */
    @Override
    public long fencingToken() {
        return node.czxid();
    }

    /**
     * Declares the lease lost unless it already ended; completes {@link #lost()} exceptionally.
     *
     * @return the exception that describes the loss (the first one, if it was already lost)
     */
    LockLostException lose(LossReason reason, String detail) {
        LockLostException fresh = new LockLostException(node.lockId(), reason, detail);
        lock.lock();
        try {
            if (state == LOST) {
                return loss;
            }
            if (state == RELEASED) {
                return fresh;
            }
            state = LOST;
            loss = fresh;
            cancelExpiry();
        } finally {
            lock.unlock();
        }
        context.forget(this);
        lost.completeExceptionally(fresh);
        return fresh;
    }

    /**
     * Marks the lease released, so that our own delete is not taken for a loss.
     *
     * @return true the first time (then the caller deletes the node), false after
     */
    boolean markReleased() {
        lock.lock();
        try {
            cancelExpiry();
            if (releaseCalled) {
                return false;
            }
            releaseCalled = true;
            if (state == HELD) {
                state = RELEASED;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void throwIfEnded() {
        lock.lock();
        try {
            if (state == LOST) {
                throw loss;
            }
            if (state == RELEASED) {
                throw new LockLostException(node.lockId(), LossReason.GONE, "the lease was released");
            }
        } finally {
            lock.unlock();
        }
    }

    // Caller holds `lock`.
    private void scheduleExpiry() {
        cancelExpiry();
        long delay = expiresAt - context.ticker().read();
        expiry = context.schedule(this::expireIfDue, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    // Caller holds `lock`.
    private void cancelExpiry() {
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
    }

    // On the driver's timer: the ttl ran out without a refresh, so give the lock up as a ttl lease would.
    private void expireIfDue() {
        lock.lock();
        try {
            if (state != HELD) {
                return;
            }
            long left = expiresAt - context.ticker().read();
            if (left > 0) {
                expiry = context.schedule(this::expireIfDue, left, TimeUnit.NANOSECONDS);
                return;
            }
        } finally {
            lock.unlock();
        }
        lose(LossReason.EXPIRED, "not refreshed within its ttl; the context deleted its node");
        context.store().deleteInBackground(node);
    }

    @Override
    public String toString() {
        return "ZooKeeperLease[" + node.lockId() + ", " + node.path() + ", token " + node.czxid() + "]";
    }
}
