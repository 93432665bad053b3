package io.robit.zookeeper;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/**
 * The watch a queued waiter leaves on the node just ahead of it. It is kept across rechecks while
 * that node stays ahead and the session stays the same, so a long wait holds one watch, not one
 * per recheck. When the node is deleted, the watch itself starts the listing the waiter needs next
 * (on Curator's event thread, without waiting) and wakes the waiter with its answer, so the hand-off
 * costs one thread wake-up after the listing rather than one before it and one after. Thread-safe:
 * the watch fires on Curator's event thread, the waiter sleeps on its own.
 */
final class AheadWatch implements Watcher {
    /** Starts a listing of the lock's contenders in the background; {@code onListed} gets them, lowest first, or null. */
    @FunctionalInterface
    interface Listing {
        void start(Consumer<List<String>> onListed);
    }

    private final String path;
    private final long sessionId;
    // Every sleeping waiter of the driver, so that a connection change wakes them all to look again.
    private final Set<CountDownLatch> sleepers;
    private final Listing listing;
    private volatile boolean fired;
    // The waiter gave the watch up: a deletion starts no listing.
    private volatile boolean cancelled;
    // The waiter should look again: the watch fired and the listing it started, if any, answered.
    private volatile boolean ready;
    private volatile List<String> listed;
    private volatile CountDownLatch sleeping;

    AheadWatch(String path, long sessionId, Set<CountDownLatch> sleepers, Listing listing) {
        this.path = path;
        this.sessionId = sessionId;
        this.sleepers = sleepers;
        this.listing = listing;
    }

    String path() {
        return path;
    }

    /** Whether it has fired (then ZooKeeper has already dropped it). */
    boolean fired() {
        return fired;
    }

    /** Whether it still stands on {@code aheadPath} in session {@code currentSessionId}. */
    boolean isArmedOn(String aheadPath, long currentSessionId) {
        return !fired && path.equals(aheadPath) && sessionId == currentSessionId;
    }

    @Override
    public void process(WatchedEvent event) {
        if (event.getType() == Event.EventType.None) {
            return; // connection events: the watch stays registered; the session guard wakes the sleepers
        }
        fired = true;
        if (event.getType() == Event.EventType.NodeDeleted && !cancelled) {
            listing.start(sorted -> {
                listed = sorted;
                wake();
            });
        } else {
            wake();
        }
    }

    /** The waiter gives the watch up (it is being removed): a deletion that still comes starts no listing. */
    void cancel() {
        cancelled = true;
    }

    /**
     * The listing the deletion started, sent after the node ahead was gone (so it may show the
     * waiter first), once; null if there is none or it failed.
     */
    List<String> takeListing() {
        List<String> taken = listed;
        listed = null;
        return taken;
    }

    private void wake() {
        ready = true;
        CountDownLatch latch = sleeping;
        if (latch != null) {
            latch.countDown();
        }
    }

    /** Sleeps until the watch fired (and its listing answered), a connection change wakes every sleeper, or {@code maxNanos} pass. */
    void sleep(long maxNanos) throws InterruptedException {
        CountDownLatch wake = new CountDownLatch(1);
        sleeping = wake;
        sleepers.add(wake);
        try {
            if (!ready) {
                wake.await(maxNanos, TimeUnit.NANOSECONDS);
            }
        } finally {
            sleepers.remove(wake);
            sleeping = null;
        }
    }

    /** Wakes every sleeper in {@code sleepers}, so that each looks again. */
    static void wakeAll(Set<CountDownLatch> sleepers) {
        for (CountDownLatch sleeper : sleepers) {
            sleeper.countDown();
        }
    }
}
