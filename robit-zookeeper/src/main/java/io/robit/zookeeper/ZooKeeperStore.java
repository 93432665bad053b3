package io.robit.zookeeper;

import io.robit.Ticker;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.utils.PathUtils;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ZooKeeper side of the lock protocol, its nodes and nothing else: create a contender node,
 * list the contenders, read or watch a node, delete a node. Lock {@code id} is the container node
 * {@code basePath/escaped-id}; its contenders are ephemeral sequential children whose data is the
 * holder's process ({@code pid@host}). Each request is bounded by a timeout (see
 * {@link Requests}); each answered write or sync (a request only the quorum can answer) is reported
 * to {@code onContact} with the time it was sent. Reads are not: a server cut off from its leader
 * still answers them, so they prove nothing about the session. Thread-safe.
 */
final class ZooKeeperStore {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperStore.class);

    private final CuratorFramework client;
    private final String basePath;
    private final Requests requests;
    private final Ticker ticker;
    private final LongConsumer onContact;
    // pid@host, as every driver names a holder's process (see LockInfo.owner); stored in each node.
    private final byte[] holder = ManagementFactory.getRuntimeMXBean().getName().getBytes(StandardCharsets.UTF_8);

    /** A node's data and stat, as one read returns them. */
    record NodeData(byte[] data, Stat stat) {
    }

    /** The answer to a write: its result code, and the node's stat when it is OK. */
    record Written(KeeperException.Code code, Stat stat) {
    }

    ZooKeeperStore(CuratorFramework client, String basePath, Requests requests, Ticker ticker, LongConsumer onContact) {
        this.client = client;
        this.basePath = basePath;
        this.requests = requests;
        this.ticker = ticker;
        this.onContact = onContact;
    }

    /**
     * {@code basePath}, if it can hold the lock nodes.
     *
     * @throws IllegalArgumentException not a valid absolute ZooKeeper path, or the root
     */
    static String checkBasePath(String basePath) {
        Objects.requireNonNull(basePath, "basePath must not be null");
        try {
            PathUtils.validatePath(basePath);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("basePath '" + basePath + "' is not a valid ZooKeeper path: " + e.getMessage(), e);
        }
        if (basePath.equals("/")) {
            throw new IllegalArgumentException("basePath must not be the root '/'; use e.g. /robit/locks");
        }
        return basePath;
    }

    /** The node of lock {@code id}, under which its contenders queue. */
    String lockPath(String id) {
        return basePath + "/" + LockNames.escape(id);
    }

    /** The node under which every lock's node lives. */
    String basePath() {
        return basePath;
    }

    /** The node under which each session keeps its keep-alive node; see {@link LockNames#SESSIONS}. */
    String sessionsPath() {
        return basePath + "/" + LockNames.SESSIONS;
    }

    /** Creates the ephemeral node {@code path} (its parents as containers), holding this process's {@code pid@host}. */
    Written createEphemeral(String name, String path, Duration timeout) throws InterruptedException {
        Stat stat = new Stat();
        CuratorEvent event = requests.call(name, "keep-alive", timeout, callback -> client.create().storingStatIn(stat)
                .creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).inBackground(callback).forPath(path, holder));
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        return new Written(code, code == KeeperException.Code.OK ? (event.getStat() != null ? event.getStat() : stat) : null);
    }

    /** Sets the data of {@code path}, whatever its version. */
    Written setData(String name, String path, Duration timeout) throws InterruptedException {
        CuratorEvent event = requests.call(name, "keep-alive", timeout, callback -> client.setData().inBackground(callback).forPath(path, holder));
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        return new Written(code, code == KeeperException.Code.OK ? event.getStat() : null);
    }

    /** A node we just created, and the contenders listed right after (it among them). */
    record Queued(Node node, List<String> contenders) {
    }

    /**
     * Creates our ephemeral sequential node under {@code lockPath}, holding this process's
     * {@code pid@host} (a create given up on is deleted when it lands), and lists the contenders
     * as {@link #contenders(String, String, Watcher, Duration)} does, in one round trip: the listing is sent right behind the create, without waiting for it, and ZooKeeper
     * answers a session's requests in the order they were sent, so the listing already shows the
     * new node. Should it not (the create had to make the lock's node first), it lists again.
     */
    Queued createAndList(String id, String lockPath, Watcher watcher, Duration timeout) throws InterruptedException {
        Stat stat = new Stat();
        long sent = ticker.read();
        long end = sent + timeout.toNanos();
        Requests.Pending create = startCreate(id, lockPath, stat);
        Node node;
        CuratorEvent listed;
        try {
            Requests.Pending list = requests.start(id, "list of contenders", callback -> {
                if (watcher == null) {
                    client.getChildren().inBackground(callback).forPath(lockPath);
                } else {
                    client.getChildren().usingWatcher(watcher).inBackground(callback).forPath(lockPath);
                }
            }, late -> { });
            // The listing is answered after the create, so this waits for both.
            listed = list.await(id, "list of contenders", left(end));
            node = created(id, create.await(id, "create of a lock node", left(end)), stat, sent);
        } catch (RuntimeException | InterruptedException e) {
            create.abandon(); // deletes our node, now or when it lands
            throw e;
        }
        try {
            KeeperException.Code code = KeeperException.Code.get(listed.getResultCode());
            if (code == KeeperException.Code.OK) {
                List<String> sorted = LockNames.contenders(listed.getChildren());
                if (sorted.contains(node.name()) && !LockNames.needsCreationOrder(sorted)) {
                    return new Queued(node, sorted);
                }
            } else if (code != KeeperException.Code.NONODE) {
                throw requests.failure(id, "list of contenders", listed);
            }
            return new Queued(node, contenders(id, lockPath, watcher, left(end)));
        } catch (RuntimeException | InterruptedException e) {
            deleteInBackground(node);
            throw e;
        }
    }

    private Requests.Pending startCreate(String id, String lockPath, Stat stat) {
        return requests.start(id, "create of a lock node",
                callback -> client.create().storingStatIn(stat).creatingParentContainersIfNeeded().withProtection()
                        .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).inBackground(callback)
                        .forPath(lockPath + "/" + LockNames.NODE_PREFIX, holder),
                late -> {
                    if (late != null && late.getResultCode() == KeeperException.Code.OK.intValue()) {
                        deleteInBackground(new Node(id, late.getName(), 0, 0));
                    }
                });
    }

    // The node a create answered with; a failure if it did not create one.
    private Node created(String id, CuratorEvent event, Stat stat, long sent) {
        if (event.getResultCode() != KeeperException.Code.OK.intValue()) {
            throw requests.failure(id, "create of a lock node", event);
        }
        onContact.accept(sent);
        Stat created = event.getStat() != null ? event.getStat() : stat;
        return new Node(id, event.getName(), created.getCzxid(), created.getEphemeralOwner());
    }

    private Duration left(long endNanos) {
        return Duration.ofNanos(Math.max(0, endNanos - ticker.read()));
    }

    /** The contenders under {@code lockPath}, lowest first; empty if the lock's node does not exist. */
    List<String> contenders(String id, String lockPath, Duration timeout) throws InterruptedException {
        return contenders(id, lockPath, null, timeout);
    }

    /**
     * The contenders under {@code lockPath}, lowest first; empty if the lock's node does not exist.
     *
     * @param watcher a one-shot child watch to leave on the lock's node, or null
     */
    List<String> contenders(String id, String lockPath, Watcher watcher, Duration timeout) throws InterruptedException {
        long sent = ticker.read();
        CuratorEvent event = requests.call(id, "list of contenders", timeout, callback -> {
            if (watcher == null) {
                client.getChildren().inBackground(callback).forPath(lockPath);
            } else {
                client.getChildren().usingWatcher(watcher).inBackground(callback).forPath(lockPath);
            }
        });
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code == KeeperException.Code.NONODE) {
            return List.of();
        }
        if (code != KeeperException.Code.OK) {
            throw requests.failure(id, "list of contenders", event);
        }
        List<String> sorted = LockNames.contenders(event.getChildren());
        return LockNames.needsCreationOrder(sorted) ? inCreationOrder(id, lockPath, sorted, sent + timeout.toNanos()) : sorted;
    }

    /**
     * {@link #contenders(String, String, Watcher, Duration)} without waiting: {@code onListed} gets
     * the contenders, lowest first, on Curator's event thread; or null if the listing failed, or
     * if the sequence numbers wrapped (ordering them takes a read per contender: the caller lists
     * again the blocking way).
     */
    void contendersInBackground(String id, String lockPath, Watcher watcher, Consumer<List<String>> onListed) {
        try {
            client.getChildren().usingWatcher(watcher).inBackground((c, event) -> {
                KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
                if (code == KeeperException.Code.NONODE) {
                    onListed.accept(List.of());
                } else if (code == KeeperException.Code.OK) {
                    List<String> sorted = LockNames.contenders(event.getChildren());
                    onListed.accept(LockNames.needsCreationOrder(sorted) ? null : sorted);
                } else {
                    onListed.accept(null);
                }
            }).forPath(lockPath);
        } catch (Exception e) {
            LOG.debug("could not list the contenders of lock '{}' in the background: {}", id, e.toString());
            onListed.accept(null);
        }
    }

    /**
     * The contenders ordered by czxid, the ensemble-wide order in which they were created: right
     * where their sequence numbers wrapped or repeat. Costs a read per contender, only on a lock
     * node whose counter reached 2^31 (ZooKeeper resets it when it removes the empty lock node).
     * Contenders deleted meanwhile are left out.
     */
    private List<String> inCreationOrder(String id, String lockPath, List<String> contenders, long endNanos) throws InterruptedException {
        LOG.debug("sequence numbers under {} wrapped or repeat; ordering its {} contenders by czxid", lockPath, contenders.size());
        Map<String, Long> czxids = new HashMap<>();
        for (String name : contenders) {
            Duration left = Duration.ofNanos(Math.max(0, endNanos - ticker.read()));
            Stat stat = exists(id, "list of contenders", lockPath + "/" + name, null, left);
            if (stat != null) {
                czxids.put(name, stat.getCzxid());
            }
        }
        return czxids.keySet().stream().sorted(Comparator.comparingLong(czxids::get)).toList();
    }

    /**
     * The node's stat, or null if it does not exist.
     *
     * @param watcher a one-shot watch to leave on the node, or null
     */
    Stat exists(String id, String operation, String path, Watcher watcher, Duration timeout) throws InterruptedException {
        CuratorEvent event = requests.call(id, operation, timeout, callback -> {
            if (watcher == null) {
                client.checkExists().inBackground(callback).forPath(path);
            } else {
                client.checkExists().usingWatcher(watcher).inBackground(callback).forPath(path);
            }
        });
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
            throw requests.failure(id, operation, event);
        }
        return code == KeeperException.Code.OK ? event.getStat() : null;
    }

    /** The node's data and stat, or null if it does not exist. */
    NodeData read(String id, String operation, String path, Duration timeout) throws InterruptedException {
        CuratorEvent event = requests.call(id, operation, timeout, callback -> client.getData().inBackground(callback).forPath(path));
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
            throw requests.failure(id, operation, event);
        }
        return code == KeeperException.Code.OK ? new NodeData(event.getData() == null ? new byte[0] : event.getData(), event.getStat()) : null;
    }

    /**
     * Leaves an exists-watch on {@code node} in the background: {@code onGone} hears, with the
     * reason, when it is deleted, or at once if it is already gone. Lets a holder learn of a
     * delete behind its back without waiting for its next refresh.
     */
    void watchDeletion(Node node, Consumer<String> onGone) {
        Watcher watcher = (WatchedEvent event) -> {
            if (event.getType() == Watcher.Event.EventType.NodeDeleted) {
                onGone.accept("its node " + node.path() + " was deleted (by another client, or its session expired)");
            }
        };
        try {
            client.checkExists().usingWatcher(watcher).inBackground((c, event) -> {
                if (event.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                    onGone.accept("its node " + node.path() + " was already gone when the watch was set");
                }
            }).forPath(node.path());
        } catch (Exception e) {
            LOG.warn("could not watch the node of lock '{}'; a delete will be noticed at the next refresh: {}", node.lockId(), e.toString());
        }
    }

    /**
     * Has the server this client talks to catch up with the leader: the reads that follow see
     * every write the leader committed before the sync, session expiries included. A follower
     * cut off from the leader cannot answer it, where it would still answer a plain read.
     */
    void sync(String id, String operation, String path, Duration timeout) throws InterruptedException {
        long sent = ticker.read();
        CuratorEvent event = requests.call(id, operation, timeout, callback -> client.sync().inBackground(callback).forPath(path));
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
            throw requests.failure(id, operation, event);
        }
        onContact.accept(sent);
    }

    /**
     * Leaves a one-shot exists-watch on {@code path} if the node exists, and says whether it does.
     * If it does not, the watch (which would wait for a creation that never comes: sequential
     * nodes do not come back) is removed again in the background.
     */
    boolean watchIfExists(String id, String operation, String path, Watcher watcher, Duration timeout) throws InterruptedException {
        if (exists(id, operation, path, watcher, timeout) != null) {
            return true;
        }
        unwatch(path, watcher);
        return false;
    }

    /** Removes {@code watcher} from {@code path} in the background; nothing if it already fired. */
    void unwatch(String path, Watcher watcher) {
        if (client.getState() != CuratorFrameworkState.STARTED) {
            return;
        }
        try {
            client.watchers().remove(watcher).ofType(Watcher.WatcherType.Any).quietly().inBackground().forPath(path);
        } catch (Exception e) {
            LOG.debug("could not remove a watch on {}: {}", path, e.toString());
        }
    }

    /** Deletes {@code node} and waits for the answer; if that fails, Curator goes on retrying in the background. */
    KeeperException.Code delete(Node node, String operation, Duration timeout) throws InterruptedException {
        long sent = ticker.read();
        CuratorEvent event = requests.call(node.lockId(), operation, timeout,
                callback -> client.delete().guaranteed().inBackground(callback).forPath(node.path()));
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code == KeeperException.Code.OK || code == KeeperException.Code.NONODE) {
            onContact.accept(sent);
        }
        return code;
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

    /** The id of the client's current session, or 0 if there is none. */
    long currentSessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
        }
    }
}
