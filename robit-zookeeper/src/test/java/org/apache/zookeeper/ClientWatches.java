package org.apache.zookeeper;

import java.util.Map;
import java.util.Set;

/** Reads a ZooKeeper client's own table of registered watchers (package-private in ZooKeeper). For tests. */
public final class ClientWatches {
    private ClientWatches() {
    }

    /** The watchers left on {@code path} itself (data and exists watches; not child watches). */
    public static int nodeWatchers(ZooKeeper zooKeeper, String path) {
        ZKWatchManager manager = zooKeeper.getWatchManager();
        return size(manager.getDataWatches(), path) + size(manager.getExistWatches(), path);
    }

    private static int size(Map<String, Set<Watcher>> table, String path) {
        synchronized (table) {
            Set<Watcher> watchers = table.get(path);
            return watchers == null ? 0 : watchers.size();
        }
    }
}
