package io.robit.zookeeper;

/**
 * One ephemeral sequential node this driver created under a lock's node: a waiter's place in the
 * queue, or, once it is the lowest, the lock itself. Immutable.
 *
 * @param lockId the lock id, for messages
 * @param path the node's full path (without Curator's namespace)
 * @param czxid the zxid of the transaction that created it: the fencing token
 * @param sessionId the session that owns it; when that session ends, ZooKeeper deletes the node
 */
record Node(String lockId, String path, long czxid, long sessionId) {
    /** The node's name, the last segment of its path. */
    String name() {
        return LockNames.nodeName(path);
    }
}
