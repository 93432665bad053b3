package io.robit.zookeeper;

import io.robit.DriverException;
import io.robit.LossReason;
import io.robit.Ticker;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.utils.PathUtils;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Robit on ZooKeeper, over a Curator {@link CuratorFramework} client (Curator only manages the
 * connection; the lock protocol is Robit's own, not Curator's {@code InterProcessMutex}).
 *
 * <p><b>Protocol.</b> Lock {@code id} is the node {@code basePath/escaped-id} (see
 * {@link #validate}); each contender creates an ephemeral sequential child {@code lock-NNNNNNNNNN}
 * under it, and the lowest sequence holds the lock. {@link #acquire} is one attempt: it creates a
 * node and keeps it only if it is the lowest. {@link #awaitRelease} queues: it creates a node,
 * watches only the node just ahead of it (no herd), and returns when its node is first; the next
 * {@code acquire} on the same thread takes that node as the lock, so waiters get the lock in the
 * order they queued (FIFO). A node queued for a call that gives up (timeout, interrupt, or an
 * {@code acquire} that does not follow within a second) is deleted.
 *
 * <p><b>Fencing token</b>: the czxid of the holder's node, the id of the transaction that created
 * it. ZooKeeper orders all writes of the ensemble, so it grows with every acquisition of every
 * lock, across leader changes (the epoch is its high half).
 *
 * <p><b>ttl and the session.</b> A ZooKeeper lock lives as long as the client's session; the
 * negotiated session timeout bounds when ZooKeeper can hand it to someone else after the holder
 * goes silent. The lease's validity is the shorter of the two:
 * <ul>
 *   <li>if the holder's process is alive but does not refresh within {@code ttl}, the driver
 *       deletes its node and reports {@link LossReason#EXPIRED}: the lock is free after the ttl,
 *       as on every other backend;</li>
 *   <li>if the process dies or is cut off, ZooKeeper frees the lock when it expires the session:
 *       the negotiated session timeout after it last heard from the client, whatever the ttl. To
 *       make the ttl bound a takeover after a crash, ask for a session timeout equal to it (the
 *       {@code sessionTimeout} URI parameter; {@code robit run} does so); the server rounds the
 *       request into {@code [2, 20] × tickTime};</li>
 *   <li>the lease reports {@code min(ttl, negotiated session timeout less one server tick)} as its
 *       {@linkplain Lease#guaranteedTtl guaranteed ttl}, so Robit's core trusts it, and renews it,
 *       for no longer than ZooKeeper guarantees it (see {@link Builder#serverTickTime});</li>
 *   <li>a refresh reads our node after a {@code sync}, so the leader's view confirms it: a
 *       follower cut off from the leader cannot renew a session the leader may have expired;</li>
 *   <li>while the connection is {@code SUSPENDED} the hold is in doubt: it is kept until that
 *       local deadline; the driver also checks the last answered request plus the negotiated
 *       session timeout (less a small margin) itself, and then declares the lease lost
 *       ({@link LossReason#DEADLINE_PASSED}) even if Curator has not yet said {@code LOST};</li>
 *   <li>session {@code LOST} (expired), a new session after reconnect, or our node deleted (an
 *       exists-watch on it) end the lease at once ({@link LossReason#GONE}).</li>
 * </ul>
 *
 * <p>Thread-safe. A driver built with {@link #create}/{@link #builder} uses the caller's client and
 * never closes it; one built by {@link #open} owns its client and closes it in {@link #close()}.
 */
public final class ZooKeeperDriver implements Driver<String>, Inspectable<String> {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperDriver.class);
    private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final String DEFAULT_BASE_PATH = "/robit/locks";
    private static final int MAX_CONTENDED_HINTS = 4096;
    private static final Duration DEFAULT_SERVER_TICK = Duration.ofSeconds(3);

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final String basePath;
    private final Duration requestTimeout;
    private final Requests requests;
    private final Ticker ticker = Ticker.system();
    private final ScheduledThreadPoolExecutor timer;
    private final WaitQueue queue;
    private final Set<ZooKeeperLease> live = ConcurrentHashMap.newKeySet();
    // Locks this driver last found taken: the next attempt reads before it writes.
    private final Set<String> contended = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SessionGuard session;
    private final LockNodes nodes;
    private final LockInspector inspector;

    private ZooKeeperDriver(Builder builder, boolean ownsClient) {
        this.client = builder.client;
        this.ownsClient = ownsClient;
        this.basePath = builder.basePath;
        this.requestTimeout = builder.requestTimeout;
        this.requests = new Requests("zookeeper " + connectString(client));
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "robit-zookeeper-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.session = new SessionGuard(this, client, ticker, builder.serverTick);
        this.nodes = new LockNodes(client, requests, ticker, session::noteContact);
        this.queue = new WaitQueue(this, builder.waitRecheck);
        this.inspector = new LockInspector(this, basePath);
        client.getConnectionStateListenable().addListener(session);
    }

    /** A driver over {@code client}, with default options. The client must be started; it is never closed by the driver. */
    public static ZooKeeperDriver create(CuratorFramework client) {
        return builder(client).build();
    }

    /** Starts building a driver over {@code client}, which must be started; the driver never closes it. */
    public static Builder builder(CuratorFramework client) {
        return new Builder(client);
    }

    /**
     * Connects to the ensemble named by {@code uri} and returns a driver that owns the connection.
     *
     * <p>The form is {@code zookeeper://[user:password@]host:port[,host:port...][/chroot][?sessionTimeout=30s&connectionTimeout=15s]}.
     * The chroot becomes the Curator namespace, so locks live under {@code /chroot/robit/locks}.
     * Durations are {@code 1500ms}, {@code 30s}, {@code 2m} or plain milliseconds. {@code tickTime}
     * is the ensemble's tickTime, as {@link Builder#serverTickTime} (default 3 s).
     *
     * <p>Security (see docs/security.md): {@code user:password@} authenticates with the digest
     * scheme (the password may come from {@code passwordFile=PATH} or {@code passwordEnv=NAME}), and
     * then every node the driver creates gets {@code CREATOR_ALL_ACL}, so other identities cannot
     * delete or change them ({@code acl=open} turns that off; {@code acl=creator} asks for it with a
     * client certificate alone). {@code tls=true&cacert=PEM[&cert=PEM&key=PEM]} connects over TLS
     * through ZooKeeper's Netty socket, verifying the server's chain and host name.
     *
     * @throws IllegalArgumentException the URI is malformed
     * @throws DriverException no connection within the connection timeout
     */
    public static ZooKeeperDriver open(String uri) {
        ZooKeeperUri parsed = ZooKeeperUri.parse(uri);
        CuratorFramework client = ZooKeeperClients.build(parsed);
        client.start();
        try {
            if (!client.blockUntilConnected(Math.toIntExact(parsed.connectionTimeout().toMillis()), TimeUnit.MILLISECONDS)) {
                throw new DriverException("zookeeper " + parsed.connectString() + ": no connection within " + parsed.connectionTimeout()
                        + ZooKeeperClients.diagnose(parsed), new KeeperException.ConnectionLossException());
            }
            ZooKeeperClients.awaitSasl(client, parsed, parsed.connectionTimeout());
            Builder options = new Builder(client);
            parsed.tickTime().ifPresent(options::serverTickTime);
            return new ZooKeeperDriver(options, true);
        } catch (InterruptedException e) {
            client.close();
            Thread.currentThread().interrupt();
            throw new DriverException("zookeeper " + parsed.connectString() + ": interrupted while connecting", e);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        String name = LockNames.escape(id);
        checkTtl(ttl);
        checkTimeout(timeout);
        ensureOpen();
        long sent = ticker.read();
        session.noteIfLongerThanSession(ttl);
        Node queued = queue.adopt(id);
        if (queued != null) {
            if (queued.sessionId() == nodes.currentSessionId()) {
                ZooKeeperLease lease = newLease(queued, sent, ttl);
                watchLease(lease);
                return Optional.of(lease);
            }
            deleteInBackground(queued);
        }
        String lockPath = lockPath(name);
        long end = sent + timeout.toNanos();
        if (contended.contains(id) && !nodes.contenders(id, lockPath, left(end, id)).isEmpty()) {
            return Optional.empty();
        }
        Node mine = nodes.create(id, lockPath, left(end, id));
        LeaseWatch watch = new LeaseWatch(this);
        List<String> sorted;
        try {
            sorted = nodes.contenders(id, lockPath, watch, left(end, id));
        } catch (RuntimeException | InterruptedException e) {
            deleteInBackground(mine);
            throw e;
        }
        if (!sorted.isEmpty() && sorted.get(0).equals(mine.name())) {
            contended.remove(id);
            ZooKeeperLease lease = newLease(mine, sent, ttl);
            watch.bind(lease);
            return Optional.of(lease);
        }
        deleteInBackground(mine);
        if (!sorted.contains(mine.name())) {
            throw new DriverException(requests.backend(), id, "acquire",
                    new KeeperException.SessionExpiredException());
        }
        if (contended.size() >= MAX_CONTENDED_HINTS) {
            contended.clear();
        }
        contended.add(id);
        return Optional.empty();
    }

    /** Deletes the lease's node, and only that node: it can never free a lock someone else holds. */
    @Override
    public void release(Lease lease) {
        if (!(lease instanceof ZooKeeperLease ours) || !ours.belongsTo(this)) {
            LOG.warn("release of a lease this driver did not grant ignored: {}", lease);
            return;
        }
        if (!ours.markReleased()) {
            return;
        }
        forget(ours);
        Node node = ours.node();
        try {
            if (isConnected() && !closed.get()) {
                KeeperException.Code code = nodes.delete(node, "release", requestTimeout);
                if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
                    LOG.warn("release of lock '{}' failed ({}); Curator retries the delete in the background", node.lockId(), code);
                }
            } else {
                deleteInBackground(node);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("release of lock '{}' interrupted; Curator finishes the delete in the background", node.lockId());
        } catch (RuntimeException e) {
            LOG.warn("release of lock '{}' failed; Curator retries the delete in the background: {}", node.lockId(), e.toString());
        }
    }

    /**
     * Queues for the lock and blocks until this caller is first in line, or {@code maxWait}
     * passes. Only the node just ahead is watched. When this returns because the caller is first,
     * the next {@link #acquire} of {@code id} on the same thread takes the lock without a write.
     */
    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        String name = LockNames.escape(id);
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        if (maxWait.isNegative() || maxWait.isZero() || closed.get()) {
            return;
        }
        queue.await(id, lockPath(name), maxWait);
    }

    /**
     * Waits without parking a thread: watches the first node in line (Curator background calls)
     * and completes when it is deleted, or after {@code maxWait}. Unlike {@link #awaitRelease} it
     * does not queue, so asynchronous waiters race for the lock when it is released.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
        String name = LockNames.escape(id);
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        if (maxWait.isNegative() || maxWait.isZero() || closed.get()) {
            return CompletableFuture.completedFuture(null);
        }
        long maxNanos;
        try {
            maxNanos = maxWait.toNanos();
        } catch (ArithmeticException e) {
            maxNanos = Long.MAX_VALUE / 4;
        }
        return AsyncWait.start(this, lockPath(name), maxNanos);
    }

    /**
     * Accepts any non-empty id whose escaped node name (letters, digits, {@code _ - .} kept;
     * anything else percent-encoded as UTF-8) has at most 512 characters.
     *
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if it is empty, too long, or holds an unpaired surrogate
     */
    @Override
    public void validate(String id) {
        LockNames.escape(id);
    }

    /**
     * Stops the driver's timer and, if the driver opened its own client, closes it (which ends
     * the session, so ZooKeeper deletes the nodes at once, and leases still held are lost).
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        client.getConnectionStateListenable().removeListener(session);
        session.close();
        queue.close();
        timer.shutdownNow();
        if (ownsClient) {
            loseAll(LossReason.GONE, "the driver was closed, which ended its ZooKeeper session");
            client.close();
        }
    }

    /**
     * Who holds {@code id} now: the owner is the holder's session and node, the token its czxid,
     * {@code since} its creation time by the server's clock. ZooKeeper has no lease expiry to
     * report ({@code expiresIn} is empty: the lock lasts as long as the holder's session), and
     * does not remember the token of a lock that is free (0 then).
     *
     * @throws DriverException the request failed
     */
    @Override
    public Optional<LockInfo> inspect(String id) {
        LockNames.escape(id);
        try {
            return inspector.inspect(id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(requests.backend(), id, "inspect", e);
        }
    }

    /**
     * Every lock that has a node under the base path, in name order. ZooKeeper removes the node
     * of a lock nobody holds or waits for some time after (it is a container node), so free locks
     * may or may not be listed.
     *
     * @throws DriverException the request failed
     */
    @Override
    public List<LockInfo> list() {
        try {
            return inspector.list();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(requests.backend(), "*", "list", e);
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperDriver[" + requests.backend() + ", basePath=" + basePath + "]";
    }

    // ---- for the lease, the queue and the session guard ----

    CuratorFramework client() {
        return client;
    }

    Requests requests() {
        return requests;
    }

    LockNodes nodes() {
        return nodes;
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

    boolean isConnected() {
        return client.getZookeeperClient().isConnected();
    }

    void noteContact(long sentNanos) {
        session.noteContact(sentNanos);
    }

    int negotiatedSessionTimeoutMs() {
        return session.negotiatedSessionTimeoutMs();
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

    void forget(ZooKeeperLease lease) {
        live.remove(lease);
    }

    void loseAll(LossReason reason, String detail) {
        for (ZooKeeperLease lease : live) {
            lease.lose(reason, detail);
        }
    }

    /** Ends the leases whose nodes belong to a session other than {@code sessionId}: those nodes are gone. */
    void loseAllNotOf(long sessionId) {
        for (ZooKeeperLease lease : live) {
            if (lease.node().sessionId() != sessionId) {
                lease.lose(LossReason.GONE, "its ZooKeeper session 0x" + Long.toHexString(lease.node().sessionId())
                        + " ended; the client reconnected with a new session");
            }
        }
    }

    void wakeWaiters() {
        queue.wakeAll();
    }

    void deleteInBackground(Node node) {
        nodes.deleteInBackground(node);
    }

    static void checkTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
    }

    static void checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    // ---- internals ----

    private ZooKeeperLease newLease(Node node, long sentNanos, Duration ttl) {
        ZooKeeperLease lease = new ZooKeeperLease(this, node, sentNanos, ttl);
        live.add(lease);
        lease.start();
        return lease;
    }

    /** Leaves an exists-watch on the lease's node: the holder learns of a delete behind its back at once, not at its next refresh. */
    void watchLease(ZooKeeperLease lease) {
        Node node = lease.node();
        Watcher watcher = (WatchedEvent event) -> {
            if (event.getType() == Watcher.Event.EventType.NodeDeleted) {
                lease.lose(LossReason.GONE, "its node " + node.path() + " was deleted (by another client, or its session expired)");
            }
        };
        try {
            client.checkExists().usingWatcher(watcher).inBackground((c, event) -> {
                if (event.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                    lease.lose(LossReason.GONE, "its node " + node.path() + " was already gone when the watch was set");
                }
            }).forPath(node.path());
        } catch (Exception e) {
            LOG.warn("could not watch the node of lock '{}'; a delete will be noticed at the next refresh: {}", node.lockId(), e.toString());
        }
    }

    private Duration left(long endNanos, String id) {
        long left = endNanos - ticker.read();
        if (left <= 0) {
            throw new DriverException(requests.backend(), id, "acquire", new TimeoutException("the acquire timeout ran out"));
        }
        return Duration.ofNanos(left);
    }

    private String lockPath(String name) {
        return basePath + "/" + name;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this ZooKeeperDriver is closed");
        }
    }

    private static String connectString(CuratorFramework client) {
        try {
            return client.getZookeeperClient().getCurrentConnectionString();
        } catch (RuntimeException e) {
            return "(unknown ensemble)";
        }
    }

    /** Options of a {@link ZooKeeperDriver} over a client the caller owns. */
    public static final class Builder {
        private final CuratorFramework client;
        private String basePath = DEFAULT_BASE_PATH;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration waitRecheck = WaitQueue.RECHECK;
        private Duration serverTick = DEFAULT_SERVER_TICK;

        private Builder(CuratorFramework client) {
            this.client = Objects.requireNonNull(client, "client must not be null");
        }

        /**
         * The node under which lock nodes live (inside the client's namespace, if it has one).
         * Default {@code /robit/locks}.
         *
         * @throws IllegalArgumentException not a valid absolute ZooKeeper path, or the root
         */
        public Builder basePath(String basePath) {
            Objects.requireNonNull(basePath, "basePath must not be null");
            try {
                PathUtils.validatePath(basePath);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("basePath '" + basePath + "' is not a valid ZooKeeper path: " + e.getMessage(), e);
            }
            if (basePath.equals("/")) {
                throw new IllegalArgumentException("basePath must not be the root '/'; use e.g. /robit/locks");
            }
            this.basePath = basePath;
            return this;
        }

        /**
         * The most a release, and each request of a wait, may take. Default 10 s. (Acquire and
         * refresh use the timeout Robit passes them.)
         *
         * @throws IllegalArgumentException not positive
         */
        public Builder requestTimeout(Duration requestTimeout) {
            checkTimeout(requestTimeout);
            this.requestTimeout = requestTimeout;
            return this;
        }

        /**
         * The ensemble's {@code tickTime} (zoo.cfg). A lease is trusted for the negotiated session
         * timeout less one tick, and at most half the session is taken for the tick. Default 3 s,
         * ZooKeeper's own default.
         *
         * @throws IllegalArgumentException not positive
         */
        public Builder serverTickTime(Duration tickTime) {
            Objects.requireNonNull(tickTime, "tickTime must not be null");
            if (tickTime.isNegative() || tickTime.isZero()) {
                throw new IllegalArgumentException("tickTime must be positive, got " + tickTime);
            }
            this.serverTick = tickTime;
            return this;
        }

        /** How often a waiter looks again without a watch event; default 5 s. For tests. */
        Builder waitRecheck(Duration waitRecheck) {
            checkTimeout(waitRecheck);
            this.waitRecheck = waitRecheck;
            return this;
        }

        /**
         * Builds the driver.
         *
         * @throws IllegalArgumentException the client has not been started, or is closed
         */
        public ZooKeeperDriver build() {
            if (client.getState() != CuratorFrameworkState.STARTED) {
                throw new IllegalArgumentException("the CuratorFramework client must be started (its state is " + client.getState() + ")");
            }
            return new ZooKeeperDriver(this, false);
        }
    }
}
