package io.robit.zookeeper;

import io.robit.DriverException;
import io.robit.LossReason;
import io.robit.Ticker;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.PathUtils;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
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
 *       the negotiated session timeout after it last heard from the client;</li>
 *   <li>while the connection is {@code SUSPENDED} the hold is in doubt: it is kept until the last
 *       confirmed contact plus the negotiated session timeout (less a small margin), then declared
 *       lost ({@link LossReason#DEADLINE_PASSED}) even if Curator has not yet said {@code LOST}.
 *       Robit's core keeps its own deadline from the ttl, so the earlier of the two ends the hold.
 *       Choose {@code ttl <= session timeout}: then the core's deadline is always the earlier;</li>
 *   <li>session {@code LOST} (expired), a new session after reconnect, or our node deleted (an
 *       exists-watch on it) end the lease at once ({@link LossReason#GONE}).</li>
 * </ul>
 *
 * <p>Thread-safe. A driver built with {@link #create}/{@link #builder} uses the caller's client and
 * never closes it; one built by {@link #open} owns its client and closes it in {@link #close()}.
 */
public final class ZooKeeperDriver implements Driver<String> {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperDriver.class);
    private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final String DEFAULT_BASE_PATH = "/robit/locks";
    private static final int MAX_CONTENDED_HINTS = 4096;

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
    private final AtomicLong lastContact;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean warnedLongTtl = new AtomicBoolean();
    private final ConnectionStateListener stateListener = (c, state) -> onStateChange(state);
    // Guards inDoubt.
    private final ReentrantLock inDoubtLock = new ReentrantLock();
    private ScheduledFuture<?> inDoubt;

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
        this.queue = new WaitQueue(this);
        this.lastContact = new AtomicLong(ticker.read());
        client.getConnectionStateListenable().addListener(stateListener);
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
     * <p>The form is {@code zookeeper://host:port[,host:port...][/chroot][?sessionTimeout=30s&connectionTimeout=15s]}.
     * The chroot becomes the Curator namespace, so locks live under {@code /chroot/robit/locks}.
     * Durations are {@code 1500ms}, {@code 30s}, {@code 2m} or plain milliseconds.
     *
     * @throws IllegalArgumentException the URI is malformed
     * @throws DriverException no connection within the connection timeout
     */
    public static ZooKeeperDriver open(String uri) {
        ZooKeeperUri parsed = ZooKeeperUri.parse(uri);
        CuratorFrameworkFactory.Builder factory = CuratorFrameworkFactory.builder()
                .connectString(parsed.connectString())
                .sessionTimeoutMs(Math.toIntExact(parsed.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(parsed.connectionTimeout().toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 3));
        parsed.namespace().ifPresent(factory::namespace);
        CuratorFramework client = factory.build();
        client.start();
        try {
            if (!client.blockUntilConnected(Math.toIntExact(parsed.connectionTimeout().toMillis()), TimeUnit.MILLISECONDS)) {
                throw new DriverException("zookeeper " + parsed.connectString() + ": no connection within " + parsed.connectionTimeout(),
                        new KeeperException.ConnectionLossException());
            }
            return new ZooKeeperDriver(new Builder(client), true);
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
        warnIfLongerThanSession(ttl);
        Node queued = queue.adopt(id);
        if (queued != null) {
            if (queued.sessionId() == currentSessionId()) {
                return Optional.of(newLease(queued, sent, ttl));
            }
            deleteInBackground(queued);
        }
        String lockPath = lockPath(name);
        long end = sent + timeout.toNanos();
        if (contended.contains(id) && !contenders(id, lockPath, left(end, id)).isEmpty()) {
            return Optional.empty();
        }
        Node mine = createNode(id, lockPath, left(end, id));
        List<String> sorted;
        try {
            sorted = contenders(id, lockPath, left(end, id));
        } catch (RuntimeException | InterruptedException e) {
            deleteInBackground(mine);
            throw e;
        }
        if (!sorted.isEmpty() && sorted.get(0).equals(mine.name())) {
            contended.remove(id);
            return Optional.of(newLease(mine, sent, ttl));
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
                CuratorEvent event = requests.call(node.lockId(), "release", requestTimeout,
                        callback -> client.delete().guaranteed().inBackground(callback).forPath(node.path()));
                KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
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
        client.getConnectionStateListenable().removeListener(stateListener);
        queue.close();
        timer.shutdownNow();
        if (ownsClient) {
            loseAll(LossReason.GONE, "the driver was closed, which ended its ZooKeeper session");
            client.close();
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperDriver[" + requests.backend() + ", basePath=" + basePath + "]";
    }

    // ---- used by the lease and the queue ----

    CuratorFramework client() {
        return client;
    }

    Requests requests() {
        return requests;
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

    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            return timer.schedule(task, delay, unit);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return null;
        }
    }

    /** Records that the server answered a request sent at {@code sentNanos}. */
    void noteContact(long sentNanos) {
        lastContact.accumulateAndGet(sentNanos, (a, b) -> b - a > 0 ? b : a);
    }

    void forget(ZooKeeperLease lease) {
        live.remove(lease);
    }

    /** Creates our ephemeral sequential node under {@code lockPath}; a create given up on is deleted when it lands. */
    Node createNode(String id, String lockPath, Duration timeout) throws InterruptedException {
        Stat stat = new Stat();
        long sent = ticker.read();
        CuratorEvent event = requests.call(id, "create of a lock node", timeout,
                callback -> client.create().storingStatIn(stat).creatingParentContainersIfNeeded().withProtection()
                        .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).inBackground(callback).forPath(lockPath + "/" + LockNames.NODE_PREFIX),
                late -> {
                    if (late.getResultCode() == KeeperException.Code.OK.intValue()) {
                        deleteInBackground(new Node(id, late.getName(), 0, 0));
                    }
                });
        if (event.getResultCode() != KeeperException.Code.OK.intValue()) {
            throw requests.failure(id, "create of a lock node", event);
        }
        noteContact(sent);
        Stat created = event.getStat() != null ? event.getStat() : stat;
        return new Node(id, event.getName(), created.getCzxid(), created.getEphemeralOwner());
    }

    /** The contenders under {@code lockPath}, lowest first; empty if the lock's node does not exist. */
    List<String> contenders(String id, String lockPath, Duration timeout) throws InterruptedException {
        long sent = ticker.read();
        CuratorEvent event = requests.call(id, "list of contenders", timeout,
                callback -> client.getChildren().inBackground(callback).forPath(lockPath));
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code == KeeperException.Code.NONODE) {
            noteContact(sent);
            return List.of();
        }
        if (code != KeeperException.Code.OK) {
            throw requests.failure(id, "list of contenders", event);
        }
        noteContact(sent);
        return LockNames.contenders(event.getChildren());
    }

    /**
     * Sets a one-shot watch that runs {@code onDeleted} when {@code path} is deleted (or on any
     * connection event, which makes the waiter look again).
     *
     * @return false if the node is already gone
     */
    boolean watchDeletion(String id, String path, Runnable onDeleted, Duration timeout) throws InterruptedException {
        Watcher watcher = event -> onDeleted.run();
        CuratorEvent event = requests.call(id, "watch of the node ahead", timeout,
                callback -> client.checkExists().usingWatcher(watcher).inBackground(callback).forPath(path));
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code == KeeperException.Code.OK) {
            return event.getStat() != null;
        }
        if (code == KeeperException.Code.NONODE) {
            return false;
        }
        throw requests.failure(id, "watch of the node ahead", event);
    }

    /** Deletes {@code node} without waiting; Curator keeps retrying until it is gone or the session ends. */
    void deleteInBackground(Node node) {
        if (client.getState() != CuratorFrameworkState.STARTED) {
            return;
        }
        try {
            client.delete().guaranteed().inBackground((c, event) -> {
                int code = event.getResultCode();
                if (code != KeeperException.Code.OK.intValue() && code != KeeperException.Code.NONODE.intValue()) {
                    LOG.debug("background delete of {} answered {}; Curator retries it", node.path(), KeeperException.Code.get(code));
                }
            }).forPath(node.path());
        } catch (Exception e) {
            LOG.warn("delete of {} for lock '{}' could not be started: {}", node.path(), node.lockId(), e.toString());
        }
    }

    long currentSessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
        }
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
        watchLease(lease);
        return lease;
    }

    // The holder learns of a delete behind its back at once, not at its next refresh.
    private void watchLease(ZooKeeperLease lease) {
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

    private void onStateChange(ConnectionState state) {
        switch (state) {
            case SUSPENDED -> startInDoubt();
            case LOST -> {
                cancelInDoubt();
                loseAll(LossReason.GONE, "the ZooKeeper session was lost (expired, or not re-established within the session timeout)");
            }
            case CONNECTED, RECONNECTED -> {
                cancelInDoubt();
                noteContact(ticker.read());
                long session = currentSessionId();
                for (ZooKeeperLease lease : live) {
                    if (lease.node().sessionId() != session) {
                        lease.lose(LossReason.GONE, "its ZooKeeper session 0x" + Long.toHexString(lease.node().sessionId())
                                + " ended; the client reconnected with a new session");
                    }
                }
            }
            default -> {
            }
        }
        queue.wakeAll();
    }

    // SUSPENDED: the holds are in doubt. Keep them until ZooKeeper could have expired the session.
    private void startInDoubt() {
        int negotiatedMs = client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs();
        if (negotiatedMs <= 0) {
            return;
        }
        long sessionNanos = TimeUnit.MILLISECONDS.toNanos(negotiatedMs);
        long margin = Math.min(sessionNanos / 10, sessionNanos / 100 + TimeUnit.MILLISECONDS.toNanos(2));
        long deadline = lastContact.get() + sessionNanos - margin;
        Runnable check = () -> {
            if (!isConnected()) {
                loseAll(LossReason.DEADLINE_PASSED, "the connection stayed suspended past the negotiated session timeout ("
                        + negotiatedMs + " ms) since the last confirmed contact; ZooKeeper may have expired the session");
            }
        };
        inDoubtLock.lock();
        try {
            if (inDoubt != null) {
                inDoubt.cancel(false);
            }
            inDoubt = schedule(check, Math.max(0, deadline - ticker.read()), TimeUnit.NANOSECONDS);
        } finally {
            inDoubtLock.unlock();
        }
    }

    private void cancelInDoubt() {
        inDoubtLock.lock();
        try {
            if (inDoubt != null) {
                inDoubt.cancel(false);
                inDoubt = null;
            }
        } finally {
            inDoubtLock.unlock();
        }
    }

    private void loseAll(LossReason reason, String detail) {
        for (ZooKeeperLease lease : live) {
            lease.lose(reason, detail);
        }
    }

    private void warnIfLongerThanSession(Duration ttl) {
        int negotiatedMs = client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs();
        if (negotiatedMs > 0 && ttl.toMillis() > negotiatedMs && warnedLongTtl.compareAndSet(false, true)) {
            LOG.warn("ttl {} is longer than the negotiated ZooKeeper session timeout of {} ms: while disconnected, a hold is kept only"
                    + " until the session timeout after the last confirmed contact. Prefer ttl <= session timeout.", ttl, negotiatedMs);
        }
    }

    private Duration left(long endNanos, String id) {
        long left = endNanos - ticker.read();
        if (left <= 0) {
            throw new DriverException(requests.backend(), id, "acquire", new java.util.concurrent.TimeoutException("the acquire timeout ran out"));
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
