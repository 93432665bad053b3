package io.robit.zookeeper;

import io.robit.DriverException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The waiting side of {@link ZooKeeperDriver}: a caller queues with its own ephemeral sequential
 * node, watches only the node just ahead of it, and, once first, hands that node to the
 * {@code acquire} that follows on the same thread. Thread-safe.
 *
 * <p>No node outlives the call that made it: a wait that times out, is interrupted or fails
 * deletes its node, and a node handed over but not taken within {@link #ADOPTION_GRACE} (the
 * caller gave up between the two calls) is deleted by a timer.
 */
final class WaitQueue {
    private static final Logger LOG = LoggerFactory.getLogger(WaitQueue.class);
    /** How long a first-in-line node waits for the caller's {@code acquire}. */
    static final Duration ADOPTION_GRACE = Duration.ofSeconds(1);
    /** A waiter looks again at least this often, in case a watch event was lost with a connection. */
    static final Duration RECHECK = Duration.ofSeconds(5);
    private static final long BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ZooKeeperDriver driver;
    private final long recheckNanos;
    private final Map<Key, Node> firstInLine = new ConcurrentHashMap<>();
    private final Set<CountDownLatch> sleepers = ConcurrentHashMap.newKeySet();

    /** One calling thread waiting on one lock. */
    private record Key(Thread thread, String lockId) {
    }

    WaitQueue(ZooKeeperDriver driver, Duration recheck) {
        this.driver = driver;
        this.recheckNanos = recheck.toNanos();
    }

    /** The node this thread queued for {@code lockId} and that is now first in line, or null. */
    Node adopt(String lockId) {
        return firstInLine.remove(new Key(Thread.currentThread(), lockId));
    }

    /** Queues for {@code lockId} and blocks until first in line or {@code maxWait} passes. */
    void await(String lockId, String lockPath, Duration maxWait) throws InterruptedException {
        Key key = new Key(Thread.currentThread(), lockId);
        if (firstInLine.containsKey(key)) {
            return;
        }
        long end = saturatedEnd(maxWait);
        Node mine = null;
        AheadWatch watch = null;
        try {
            while (true) {
                long left = end - driver.ticker().read();
                if (left <= 0) {
                    return;
                }
                Duration step = Duration.ofNanos(Math.min(left, driver.requestTimeout().toNanos()));
                if (mine == null) {
                    mine = driver.nodes().create(lockId, lockPath, step);
                }
                List<String> sorted = driver.nodes().contenders(lockId, lockPath, step);
                if (!sorted.contains(mine.name())) {
                    // Our node vanished with an expired session: queue again rather than wait forever.
                    // Delete it all the same (a no-op if it is gone), and pause, so that a node we
                    // cannot see in the listing is never left behind in a loop.
                    LOG.debug("queue node {} of lock '{}' is not in line; queueing again", mine.path(), lockId);
                    driver.deleteInBackground(mine);
                    mine = null;
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, BACKOFF_NANOS));
                    continue;
                }
                Optional<String> ahead = LockNames.predecessor(sorted, mine.name());
                if (ahead.isEmpty()) {
                    handOver(key, mine);
                    mine = null;
                    return;
                }
                String aheadPath = lockPath + "/" + ahead.get();
                long session = driver.nodes().currentSessionId();
                if (watch == null || !watch.isArmedOn(aheadPath, session)) {
                    // One watch per node ahead: a recheck that finds the same node ahead keeps it.
                    watch = new AheadWatch(aheadPath, session);
                    if (!driver.nodes().watchIfExists(lockId, "watch of the node ahead", aheadPath, watch, step)) {
                        watch = null; // already gone: look again at once
                        continue;
                    }
                }
                watch.sleep(Math.min(left, recheckNanos));
            }
        } catch (DriverException e) {
            // A spurious early return is allowed: the caller's next acquire reports the failure.
            LOG.debug("wait for lock '{}' failed: {}", lockId, e.toString());
            long left = end - driver.ticker().read();
            TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(left, BACKOFF_NANOS)));
        } finally {
            if (mine != null) {
                driver.deleteInBackground(mine);
            }
            if (watch != null && !watch.fired) {
                // A wait that gives up must not leave its watch until the node ahead goes.
                driver.nodes().unwatch(watch.path, watch);
            }
        }
    }

    /** Wakes every waiter so it looks again (after a connection change, or on close). */
    void wakeAll() {
        for (CountDownLatch sleeper : sleepers) {
            sleeper.countDown();
        }
    }

    /** Wakes every waiter and deletes the nodes handed over but not taken. */
    void close() {
        wakeAll();
        for (Key key : Set.copyOf(firstInLine.keySet())) {
            Node node = firstInLine.remove(key);
            if (node != null) {
                driver.deleteInBackground(node);
            }
        }
    }

    /**
     * The watch a waiter leaves on the node just ahead of it, kept across rechecks while
     * that node stays ahead and the session stays the same, so a long wait holds one watch, not
     * one per recheck.
     */
    private final class AheadWatch implements Watcher {
        private final String path;
        private final long sessionId;
        private volatile boolean fired;
        private volatile CountDownLatch sleeping;

        AheadWatch(String path, long sessionId) {
            this.path = path;
            this.sessionId = sessionId;
        }

        boolean isArmedOn(String aheadPath, long currentSessionId) {
            return !fired && path.equals(aheadPath) && sessionId == currentSessionId;
        }

        @Override
        public void process(WatchedEvent event) {
            if (event.getType() == Event.EventType.None) {
                return; // connection events: the watch stays registered; wakeAll handles them
            }
            fired = true;
            CountDownLatch latch = sleeping;
            if (latch != null) {
                latch.countDown();
            }
        }

        /** Sleeps until the watch fires, {@link #wakeAll}, or {@code maxNanos}. */
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
    }

    private void handOver(Key key, Node node) {
        Node previous = firstInLine.put(key, node);
        if (previous != null) {
            driver.deleteInBackground(previous);
        }
        Runnable reap = () -> {
            if (firstInLine.remove(key, node)) {
                LOG.debug("node {} of lock '{}' was first in line but not taken; deleting it", node.path(), node.lockId());
                driver.deleteInBackground(node);
            }
        };
        if (driver.schedule(reap, ADOPTION_GRACE.toNanos(), TimeUnit.NANOSECONDS) == null) {
            // The driver was closed meanwhile: nobody will take the node.
            reap.run();
        }
    }

    // Differences of ticker readings stay right across overflow while they are below 2^63.
    private long saturatedEnd(Duration wait) {
        long nanos;
        try {
            nanos = wait.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        return driver.ticker().read() + Math.min(nanos, Long.MAX_VALUE / 4);
    }
}
