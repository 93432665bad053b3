package io.robit.zookeeper;

import io.robit.spi.LockInfo;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Reads who holds a lock, for operators ({@link ZooKeeperDriver#inspect}, {@link ZooKeeperDriver#list}).
 * Read-only; stateless.
 */
final class LockInspector {
    private LockInspector() {
    }

    /** Empty if the lock's node does not exist (never used, or removed by ZooKeeper as an empty container). */
    static Optional<LockInfo> inspect(ZooKeeperContext context, String id) throws InterruptedException {
        ZooKeeperStore store = context.store();
        String lockPath = store.lockPath(id);
        if (store.exists(id, "inspect", lockPath, null, context.requestTimeout()) == null) {
            return Optional.empty();
        }
        for (String first : store.contenders(id, lockPath, context.requestTimeout())) {
            ZooKeeperStore.NodeData node = store.read(id, "inspect", lockPath + "/" + first, context.requestTimeout());
            if (node != null) {
                Stat stat = node.stat();
                return Optional.of(new LockInfo(id, Optional.of(owner(node.data(), stat, first)), stat.getCzxid(),
                        Optional.of(Instant.ofEpochMilli(stat.getCtime())), Optional.empty()));
            }
            // It went away between the two reads: the next one in line holds it now.
        }
        return Optional.of(new LockInfo(id, Optional.empty(), 0, Optional.empty(), Optional.empty()));
    }

    /** Every lock with a node under the base path, in name order. */
    static List<LockInfo> list(ZooKeeperContext context) throws InterruptedException {
        String basePath = context.store().basePath();
        CuratorEvent locks = context.requests().call("*", "list", context.requestTimeout(),
                callback -> context.client().getChildren().inBackground(callback).forPath(basePath));
        if (locks.getResultCode() == KeeperException.Code.NONODE.intValue()) {
            return List.of();
        }
        if (locks.getResultCode() != KeeperException.Code.OK.intValue()) {
            throw context.requests().failure("*", "list", locks);
        }
        List<LockInfo> all = new ArrayList<>();
        for (String name : locks.getChildren().stream().filter(name -> !name.equals(LockNames.SESSIONS)).sorted().toList()) {
            inspect(context, LockNames.unescape(name)).ifPresent(all::add);
        }
        all.sort(Comparator.comparing(LockInfo::name));
        return all;
    }

    /**
     * {@code pid@host/session 0x…, node}, as every driver describes a holder (see
     * {@link LockInfo#owner}); a node without data (made by an older driver) is described by its
     * session and node alone.
     */
    static String owner(byte[] data, Stat stat, String nodeName) {
        String session = "session 0x" + Long.toHexString(stat.getEphemeralOwner()) + ", " + nodeName;
        String process = new String(data, StandardCharsets.UTF_8).strip();
        return process.isEmpty() || process.contains("/") ? session : process + "/" + session;
    }
}
