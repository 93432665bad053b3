package io.robit.zookeeper;

import io.robit.LossReason;
import io.robit.Ticker;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link ZooKeeperDriver}'s leases, contentions and session guard share: the client, the
 * {@link ZooKeeperStore}, the timer, the session guard and the live leases. One per driver;
 * thread-safe.
 */
final class ZooKeeperContext {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperContext.class);
    private static final int MAX_CONTENDED_HINTS = 4096;

    private final CuratorFramework client;
    private final Duration requestTimeout;
    private final long waitRecheckNanos;
    private final Requests requests;
    private final Ticker ticker = Ticker.system();
    private final ScheduledThreadPoolExecutor timer;
    private final Set<ZooKeeperLease> live = ConcurrentHashMap.newKeySet();
    // Locks a single attempt last found taken, a hint by lock id (never by thread).
    private final Set<String> contended = ConcurrentHashMap.newKeySet();
    // Blocking waiters asleep: a connection change or close wakes them to look again.
    private final Set<CountDownLatch> sleepers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    // The client's current ZooKeeper session as the LeaseSession of the holds on it.
    private final AtomicReference<ZooKeeperSession> leaseSession = new AtomicReference<>();
    private final SessionGuard session;
    private final ZooKeeperStore store;
    private final LeaseExpiry expiry = new LeaseExpiry(this);

    ZooKeeperContext(CuratorFramework client, String basePath, Duration requestTimeout, Duration waitRecheck, Duration serverTick) {
        this.client = client;
        this.requestTimeout = requestTimeout;
        this.waitRecheckNanos = waitRecheck.toNanos();
        this.requests = new Requests("zookeeper " + connectString(client));
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "robit-zookeeper-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.session = new SessionGuard(this, client, ticker, serverTick);
        this.store = new ZooKeeperStore(client, basePath, requests, ticker, session::noteContact);
        client.getConnectionStateListenable().addListener(session);
    }

    CuratorFramework client() {
        return client;
    }

    Requests requests() {
        return requests;
    }

    ZooKeeperStore store() {
        return store;
    }

    SessionGuard session() {
        return session;
    }

    String backend() {
        return requests.backend();
    }

    Ticker ticker() {
        return ticker;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    /** How often a queued waiter looks again without a watch event. */
    long waitRecheckNanos() {
        return waitRecheckNanos;
    }

    boolean isConnected() {
        return client.getZookeeperClient().isConnected();
    }

    void noteContact(long sentNanos) {
        session.noteContact(sentNanos);
    }

    /** See {@link SessionGuard#guarantee}; null before the first connection. */
    Duration sessionGuarantee() {
        return session.guarantee();
    }

    /** Schedules on the driver's timer thread; null once the driver is closed. */
    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            return timer.schedule(task, delay, unit);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /** How many tasks the driver's timer thread was ever given (approximate, for tests). */
    long timerTasks() {
        return timer.getTaskCount();
    }

    /** The one timer behind the ttl of every lease of the driver. */
    LeaseExpiry expiry() {
        return expiry;
    }

    /** The leases granted and neither released nor lost yet. */
    Iterable<ZooKeeperLease> liveLeases() {
        return live;
    }

    /**
     * A new lease on {@code node}, now the lowest of its lock, valid for {@code ttl} from {@code sentNanos}.
     *
     * @param provenNanos the send time of the last request the quorum answered in the node's
     *     session: the session, and so the node, is guaranteed only from then
     */
    ZooKeeperLease grant(Node node, long sentNanos, Duration ttl, long provenNanos) {
        ZooKeeperLease lease = new ZooKeeperLease(this, node, sessionOf(node.sessionId()), sentNanos, ttl, provenNanos);
        live.add(lease);
        lease.start();
        return lease;
    }

    /** Deletes the lease's node, and only that node: it can never free a lock someone else holds. */
    void release(ZooKeeperLease lease) {
        if (!lease.markReleased()) {
            return;
        }
        forget(lease);
        Node node = lease.node();
        try {
            if (isConnected() && !closed.get()) {
                KeeperException.Code code = store.delete(node, "release", requestTimeout);
                if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
                    LOG.warn("release of lock '{}' failed ({}); Curator retries the delete in the background", node.lockId(), code);
                }
            } else {
                store.deleteInBackground(node);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("release of lock '{}' interrupted; Curator finishes the delete in the background", node.lockId());
        } catch (RuntimeException e) {
            LOG.warn("release of lock '{}' failed; Curator retries the delete in the background: {}", node.lockId(), e.toString());
        }
    }

    void forget(ZooKeeperLease lease) {
        live.remove(lease);
    }

    /** The lease session of ZooKeeper session {@code sessionId}: the current one, or a new one once that is lost or replaced. */
    private ZooKeeperSession sessionOf(long sessionId) {
        ZooKeeperSession current = leaseSession.get();
        if (current != null && current.sessionId() == sessionId && !current.isLost()) {
            return current;
        }
        ZooKeeperSession fresh = new ZooKeeperSession(this, sessionId);
        if (sessionId != store.currentSessionId()) {
            // A node of a session the client has already left: that session, and the node, are gone.
            fresh.lose(LossReason.GONE, "the client has moved on to another session");
            return fresh;
        }
        return leaseSession.compareAndSet(current, fresh) ? fresh : sessionOf(sessionId);
    }

    /** A keep-alive of {@code session} sent at {@code sentNanos} was confirmed: every lease on it runs its ttl from then. */
    void renewedBySession(ZooKeeperSession session, long sentNanos) {
        for (ZooKeeperLease lease : live) {
            if (lease.session() == session) {
                lease.renewedBySession(sentNanos);
            }
        }
    }

    void loseAll(LossReason reason, String detail) {
        ZooKeeperSession current = leaseSession.get();
        if (current != null) {
            current.lose(reason, detail);
        }
        for (ZooKeeperLease lease : live) {
            lease.end(reason, detail);
        }
    }

    /** Ends the leases whose nodes belong to a session other than {@code sessionId}: those nodes are gone. */
    void loseAllNotOf(long sessionId) {
        ZooKeeperSession current = leaseSession.get();
        if (current != null && current.sessionId() != sessionId) {
            current.lose(LossReason.GONE, "the client reconnected with a new session");
        }
        for (ZooKeeperLease lease : live) {
            if (lease.node().sessionId() != sessionId) {
                lease.end(LossReason.GONE, "its ZooKeeper session 0x" + Long.toHexString(lease.node().sessionId())
                        + " ended; the client reconnected with a new session");
            }
        }
    }

    Set<CountDownLatch> sleepers() {
        return sleepers;
    }

    void wakeWaiters() {
        AheadWatch.wakeAll(sleepers);
    }

    boolean isClosed() {
        return closed.get();
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this ZooKeeperDriver is closed");
        }
    }

    /**
     * Stops the timer and wakes the waiters; with {@code endSession}, ends the leases still held
     * (the caller then closes the client, which ends the session). Idempotent.
     */
    void close(boolean endSession) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        client.getConnectionStateListenable().removeListener(session);
        session.close();
        wakeWaiters();
        timer.shutdownNow();
        if (endSession) {
            loseAll(LossReason.GONE, "the driver was closed, which ended its ZooKeeper session");
        }
    }

    /** Whether a single attempt last found {@code id} taken (then the next one reads before it writes). */
    boolean seenTaken(String id) {
        return contended.contains(id);
    }

    /** Records what a single attempt found; the hints are dropped when there are too many. */
    void noteTaken(String id, boolean taken) {
        if (!taken) {
            contended.remove(id);
            return;
        }
        if (contended.size() >= MAX_CONTENDED_HINTS) {
            contended.clear();
        }
        contended.add(id);
    }

    private static String connectString(CuratorFramework client) {
        try {
            return client.getZookeeperClient().getCurrentConnectionString();
        } catch (RuntimeException e) {
            return "(unknown ensemble)";
        }
    }
}
