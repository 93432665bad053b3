package io.robit.zookeeper;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/**
 * The child watch an acquire leaves on the lock's node with the listing that tells it whether it
 * won, so that an uncontended holder needs no extra request to learn of its node's deletion.
 * When the children change (a waiter arrived, or our node was deleted) while the lease is held,
 * it hands over to an exists-watch on our own node, which also says whether the node is still
 * there. Thread-safe; one per contention at a time (re-registering the same object on the same
 * node adds no watch), a fresh one once it fired.
 */
final class LeaseWatch implements Watcher {
    private static final Object FIRED = new Object();

    // null, then either FIRED (the watch fired before the lease existed) or the lease.
    private final AtomicReference<Object> state = new AtomicReference<>();

    /** Whether it fired before a lease was bound (ZooKeeper has dropped it then). */
    boolean fired() {
        return state.get() == FIRED;
    }

    /** Ties the watch to the lease the attempt won; arms the exists-watch at once if the children already changed. */
    void bind(ZooKeeperLease lease) {
        if (!state.compareAndSet(null, lease)) {
            lease.watchNode();
        }
    }

    @Override
    public void process(WatchedEvent event) {
        if (event.getType() == Event.EventType.None) {
            // Connection events: the watch stays registered; the session guard handles them.
            return;
        }
        Object previous = state.getAndUpdate(current -> current == null ? FIRED : current);
        if (previous instanceof ZooKeeperLease lease && lease.isHeld()) {
            lease.watchNode();
        }
    }
}
