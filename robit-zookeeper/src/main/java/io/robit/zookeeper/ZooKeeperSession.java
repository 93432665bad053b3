package io.robit.zookeeper;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.LeaseSession;
import io.robit.spi.support.Arguments;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * One ZooKeeper session of a driver's client, as the {@link LeaseSession} of every hold whose node
 * it owns: ZooKeeper deletes those nodes when, and only when, it expires the session, so one proof
 * that the session is alive renews them all. Thread-safe.
 *
 * <p>{@link #keepAlive} is <b>one write</b>, on the session's own ephemeral node
 * ({@code basePath-sessions/s-<session id>}, created by the first keep-alive): a write is forwarded
 * to the leader and answered only once a quorum has logged it, so neither a follower cut off from
 * the leader (which still answers reads and pings from its own copy, while the leader may already
 * have expired the session) nor a deposed leader can confirm it. The node's owner, which the
 * answer carries, must be this session: a client that reconnected with a new session has lost this
 * one. A confirmed session is trusted, from the send time of the write, for two thirds of the
 * negotiated session timeout less one server tick ({@link SessionGuard#guarantee}: the leader may
 * never hear of this write from a follower cut off right after it), and extends the ttl timer of
 * every hold on it.
 *
 * <p>It is lost, once, when Curator reports the session {@code LOST}, when the client reconnects
 * with another session, when the connection stays suspended past that guarantee, or when the
 * driver that owns its client closes; a keep-alive then throws {@link LockLostException}.
 */
final class ZooKeeperSession implements LeaseSession {
    private final ZooKeeperContext context;
    private final long sessionId;
    private final String path;
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    // The node exists in this session (created by an earlier keep-alive): a keep-alive only sets its data.
    private volatile boolean created;

    ZooKeeperSession(ZooKeeperContext context, long sessionId) {
        this.context = context;
        this.sessionId = sessionId;
        this.path = context.store().sessionsPath() + "/s-" + Long.toHexString(sessionId);
    }

    long sessionId() {
        return sessionId;
    }

    /** The driver's client, for tests that end the session on the server. */
    org.apache.curator.framework.CuratorFramework client() {
        return context.client();
    }

    boolean isLost() {
        return lost.isDone();
    }

    /**
     * Writes the session's node and checks that this session owns it.
     *
     * @return two thirds of the negotiated session timeout less one server tick, from the write's send time
     * @throws LockLostException the session is gone (expired, replaced, or given up)
     * @throws DriverException the write failed or timed out; that alone is not a loss
     */
    @Override
    public Duration keepAlive(Duration timeout) throws InterruptedException {
        Arguments.positive("timeout", timeout);
        throwIfLost();
        long sent = context.ticker().read();
        if (context.store().currentSessionId() != sessionId) {
            throw lose(LossReason.GONE, "the client now has another session");
        }
        if (!context.isConnected()) {
            throw new DriverException(context.backend(), name(), "keep-alive", new KeeperException.ConnectionLossException());
        }
        long end = sent + timeout.toNanos();
        ZooKeeperStore.Written written = created ? context.store().setData(name(), path, left(end)) : context.store().createEphemeral(name(), path, left(end));
        if (written.code() == KeeperException.Code.NONODE) {
            written = context.store().createEphemeral(name(), path, left(end)); // deleted behind our back: a create is a write too
        } else if (written.code() == KeeperException.Code.NODEEXISTS) {
            written = context.store().setData(name(), path, left(end));
        }
        KeeperException.Code code = written.code();
        if (code == KeeperException.Code.SESSIONEXPIRED) {
            throw lose(LossReason.GONE, "ZooKeeper answered the keep-alive: session expired");
        }
        if (code != KeeperException.Code.OK) {
            throw new DriverException(context.backend(), name(), "keep-alive", KeeperException.create(code, path));
        }
        Stat stat = written.stat();
        if (stat == null || stat.getEphemeralOwner() != sessionId) {
            // Written through a newer session of the client: this one is over. Its node is not ours to keep.
            context.store().deleteInBackground(new Node(name(), path, 0, 0));
            throw lose(LossReason.GONE, "the keep-alive was answered in session 0x" + Long.toHexString(stat == null ? 0 : stat.getEphemeralOwner()));
        }
        created = true;
        context.noteContact(sent);
        context.renewedBySession(this, sent);
        Duration guaranteed = context.sessionGuarantee();
        if (guaranteed == null) {
            throw new DriverException(context.backend(), name(), "keep-alive", new KeeperException.ConnectionLossException());
        }
        return guaranteed;
    }

    @Override
    public CompletableFuture<Void> lost() {
        return lost;
    }

    /**
     * Ends the session for every hold on it, once.
     *
     * @return the exception that tells the loss, for a keep-alive to throw
     */
    LockLostException lose(LossReason reason, String detail) {
        LockLostException loss = new LockLostException(name(), reason, detail);
        lost.completeExceptionally(loss);
        return loss;
    }

    private void throwIfLost() {
        if (lost.isCompletedExceptionally()) {
            try {
                lost.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof LockLostException loss) {
                    throw loss;
                }
            }
            throw new LockLostException(name(), LossReason.GONE, "the session was lost");
        }
    }

    private Duration left(long endNanos) {
        long left = endNanos - context.ticker().read();
        if (left <= 0) {
            throw new DriverException(context.backend(), name(), "keep-alive", new TimeoutException("no answer in time"));
        }
        return Duration.ofNanos(left);
    }

    private String name() {
        return "zookeeper session 0x" + Long.toHexString(sessionId);
    }

    @Override
    public String toString() {
        return "ZooKeeperSession[0x" + Long.toHexString(sessionId) + ", " + path + "]";
    }
}
