package io.robit.zookeeper;

import io.robit.DriverException;
import io.robit.LossReason;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import io.robit.spi.support.Arguments;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Robit on ZooKeeper, over a Curator {@link CuratorFramework} client (Curator only manages the
 * connection; the lock protocol is Robit's own, not Curator's {@code InterProcessMutex}).
 *
 * <p><b>Protocol.</b> Lock {@code id} is the node {@code basePath/escaped-id} (see
 * {@link #validate}); each contender creates an ephemeral sequential child {@code lock-NNNNNNNNNN}
 * under it, holding its {@code pid@host}, and the lowest sequence holds the lock (the nodes are
 * {@link ZooKeeperStore}'s). {@link #acquire} is one attempt: it creates a node and keeps it only
 * if it is the lowest. A waiting call goes through {@link #contend}: its contention keeps its node
 * as its place in line, watches only the node just ahead of it (no herd), and takes the node as
 * the lock once it is first, so waiters get the lock in the order they queued (FIFO); closing it
 * deletes a node that was not granted.
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
 *   <li>the lease reports {@code min(ttl, 2/3 of the negotiated session timeout less one server tick)} as its
 *       {@linkplain Lease#guaranteedTtl guaranteed ttl}, so Robit's core trusts it, and renews it,
 *       for no longer than ZooKeeper guarantees it (see {@link Builder#serverTickTime});</li>
 *   <li>the leases are session leases: the core renews the client's session, not each hold, with
 *       one write per period ({@link ZooKeeperSession}), which only a quorum behind the leader can
 *       answer; a lease's own refresh reads its node after a {@code sync}, so the leader's view
 *       confirms it;</li>
 *   <li>while the connection is {@code SUSPENDED} the hold is kept until the send of the last answered
 *       write or sync (not read) plus that guarantee (less a margin), then lost ({@link LossReason#DEADLINE_PASSED})
 *       even if Curator has not yet said {@code LOST} ({@link SessionGuard});</li>
 *   <li>session {@code LOST}, a new session after reconnect, or our node deleted (an exists-watch
 *       on it) end the lease at once ({@link LossReason#GONE}).</li>
 * </ul>
 *
 * <p>Thread-safe. A driver built with {@link #create}/{@link #builder} uses the caller's client and
 * never closes it; one built by {@link #open} owns its client and closes it in {@link #close()}.
 */
public final class ZooKeeperDriver implements Driver<String>, Inspectable<String> {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperDriver.class);
    private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final String DEFAULT_BASE_PATH = "/robit/locks";
    private static final Duration DEFAULT_SERVER_TICK = Duration.ofSeconds(3);
    // A queued waiter looks again at least this often, in case a watch event was lost with a connection.
    private static final Duration WAIT_RECHECK = Duration.ofSeconds(5);

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final ZooKeeperContext context;

    private ZooKeeperDriver(Builder builder, boolean ownsClient) {
        this.client = builder.client;
        this.ownsClient = ownsClient;
        this.context = new ZooKeeperContext(client, builder.basePath, builder.requestTimeout, builder.waitRecheck, builder.serverTick);
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
            ZooKeeperClients.awaitConnected(client, parsed);
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

    /**
     * One attempt: creates a node and keeps it only if it is the lowest. After this driver found
     * {@code id} taken, the next attempt reads before it writes, so polling a held lock costs no
     * write.
     */
    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        try (ZooKeeperContention attempt = contention(id, ttl, timeout)) {
            Optional<Lease> lease = attempt.tryAcquire();
            context.noteTaken(id, lease.isEmpty());
            return lease;
        }
    }

    /**
     * A contention that queues: its first attempt keeps its node when the lock is taken, its
     * blocking waits watch only the node just ahead, and the lock goes to waiters in the order they
     * queued (see {@link ZooKeeperContention}). Closing it deletes a node that was not granted.
     */
    @Override
    public Contention contend(String id, Duration ttl, Duration timeout) {
        return contention(id, ttl, timeout);
    }

    /** Deletes the lease's node, and only that node: it can never free a lock someone else holds. */
    @Override
    public void release(Lease lease) {
        if (!(lease instanceof ZooKeeperLease ours) || !ours.belongsTo(context)) {
            LOG.warn("release of a lease this driver did not grant ignored: {}", lease);
            return;
        }
        context.release(ours);
    }

    /**
     * Blocks until the first node in line (the holder, or a waiter about to hold) is deleted, or
     * {@code maxWait} passes. It does not queue: a caller of {@link #acquire} races the others;
     * {@link #contend} queues.
     */
    @Override
    public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
        CompletableFuture<Void> woken = awaitReleaseAsync(id, maxWait);
        try {
            woken.get(Math.max(0, ZooKeeperContention.saturatedNanos(maxWait)), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // A spurious or timed-out return: the caller tries again.
        } finally {
            woken.complete(null); // removes the watch of a wait given up
        }
    }

    /**
     * Watches the first node in line without parking a thread (Curator background calls); completes
     * when it is deleted, or after {@code maxWait}. It does not queue: waiters race for the lock.
     */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
        LockNames.escape(id);
        if (Objects.requireNonNull(maxWait, "maxWait must not be null").isNegative() || maxWait.isZero() || context.isClosed()) {
            return CompletableFuture.completedFuture(null);
        }
        return AsyncWait.start(context, context.store().lockPath(id), ZooKeeperContention.saturatedNanos(maxWait));
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
        if (context.isClosed()) {
            return;
        }
        context.close(ownsClient);
        if (ownsClient) {
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
            return LockInspector.inspect(context, id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(context.backend(), id, "inspect", e);
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
            return LockInspector.list(context);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(context.backend(), "*", "list", e);
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperDriver[" + context.backend() + ", basePath=" + context.store().basePath() + "]";
    }

    // ---- internals ----

    /** For tests. */
    ZooKeeperContext context() {
        return context;
    }

    private ZooKeeperContention contention(String id, Duration ttl, Duration timeout) {
        LockNames.escape(id);
        Arguments.positive("ttl", ttl);
        Arguments.positive("timeout", timeout);
        context.ensureOpen();
        context.session().noteIfLongerThanSession(ttl);
        return new ZooKeeperContention(context, id, ttl, timeout, context.seenTaken(id));
    }

    /** Options of a {@link ZooKeeperDriver} over a client the caller owns. */
    public static final class Builder {
        private final CuratorFramework client;
        private String basePath = DEFAULT_BASE_PATH;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration waitRecheck = WAIT_RECHECK;
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
            this.basePath = ZooKeeperStore.checkBasePath(basePath);
            return this;
        }

        /**
         * The most a release, and each request of a wait, may take. Default 10 s. (Acquire and
         * refresh use the timeout Robit passes them.)
         *
         * @throws IllegalArgumentException not positive
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = Arguments.positive("requestTimeout", requestTimeout);
            return this;
        }

        /**
         * The ensemble's {@code tickTime} (zoo.cfg). A lease is trusted for two thirds of the
         * negotiated session timeout less one tick, and at most half the session is taken for the tick. Default 3 s,
         * ZooKeeper's own default.
         *
         * @throws IllegalArgumentException not positive
         */
        public Builder serverTickTime(Duration tickTime) {
            this.serverTick = Arguments.positive("tickTime", tickTime);
            return this;
        }

        /** How often a waiter looks again without a watch event; default 5 s. For tests. */
        Builder waitRecheck(Duration waitRecheck) {
            this.waitRecheck = Arguments.positive("waitRecheck", waitRecheck);
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
