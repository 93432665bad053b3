package io.robit.zookeeper;

import io.robit.spi.LockInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Reads who holds a lock, for operators ({@link ZooKeeperDriver#inspect}, {@link ZooKeeperDriver#list}).
 * Read-only; thread-safe.
 */
final class LockInspector {
    private final ZooKeeperDriver driver;
    private final String basePath;

    LockInspector(ZooKeeperDriver driver, String basePath) {
        this.driver = driver;
        this.basePath = basePath;
    }

    /** Empty if the lock's node does not exist (never used, or removed by ZooKeeper as an empty container). */
    Optional<LockInfo> inspect(String id) throws InterruptedException {
        String lockPath = basePath + "/" + LockNames.escape(id);
        if (driver.nodes().exists(id, "inspect", lockPath, null, driver.requestTimeout()) == null) {
            return Optional.empty();
        }
        for (String first : driver.nodes().contenders(id, lockPath, driver.requestTimeout())) {
            Stat stat = driver.nodes().exists(id, "inspect", lockPath + "/" + first, null, driver.requestTimeout());
            if (stat != null) {
                String owner = "session 0x" + Long.toHexString(stat.getEphemeralOwner()) + " (" + first + ")";
                return Optional.of(new LockInfo(id, Optional.of(owner), stat.getCzxid(), Optional.of(Instant.ofEpochMilli(stat.getCtime())),
                        Optional.empty()));
            }
            // It went away between the two reads: the next one in line holds it now.
        }
        return Optional.of(new LockInfo(id, Optional.empty(), 0, Optional.empty(), Optional.empty()));
    }

    /** Every lock with a node under the base path, in name order. */
    List<LockInfo> list() throws InterruptedException {
        CuratorEvent locks = driver.requests().call("*", "list", driver.requestTimeout(),
                callback -> driver.client().getChildren().inBackground(callback).forPath(basePath));
        if (locks.getResultCode() == KeeperException.Code.NONODE.intValue()) {
            return List.of();
        }
        if (locks.getResultCode() != KeeperException.Code.OK.intValue()) {
            throw driver.requests().failure("*", "list", locks);
        }
        List<LockInfo> all = new ArrayList<>();
        for (String name : locks.getChildren().stream().sorted().toList()) {
            String id = LockNames.unescape(name);
            inspect(id).ifPresent(all::add);
        }
        all.sort(java.util.Comparator.comparing(LockInfo::name));
        return all;
    }
}
