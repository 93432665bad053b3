package io.robit.zookeeper;

import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/**
 * The watch a queued waiter leaves on the node just ahead of it. It is kept across rechecks while
 * that node stays ahead and the session stays the same, so a long wait holds one watch, not one
 * per recheck. Thread-safe: the watch fires on Curator's event thread, the waiter sleeps on its own.
 */
final class AheadWatch implements Watcher {
    private final String path;
    private final long sessionId;
    // Every sleeping waiter of the driver, so that a connection change wakes them all to look again.
    private final Set<CountDownLatch> sleepers;
    private volatile boolean fired;
    private volatile CountDownLatch sleeping;

    AheadWatch(String path, long sessionId, Set<CountDownLatch> sleepers) {
        this.path = path;
        this.sessionId = sessionId;
        this.sleepers = sleepers;
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
        CountDownLatch latch = sleeping;
        if (latch != null) {
            latch.countDown();
        }
    }

    /** Sleeps until the watch fires, a connection change wakes every sleeper, or {@code maxNanos} pass. */
    void sleep(long maxNanos) throws InterruptedException {
        CountDownLatch wake = new CountDownLatch(1);
        sleeping = wake;
        sleepers.add(wake);
        try {
            if (!fired) {
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
