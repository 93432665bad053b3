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
    private static final long RECHECK_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ZooKeeperDriver driver;
    private final Map<Key, Node> firstInLine = new ConcurrentHashMap<>();
    private final Set<CountDownLatch> sleepers = ConcurrentHashMap.newKeySet();

    /** One calling thread waiting on one lock. */
    private record Key(Thread thread, String lockId) {
    }

    WaitQueue(ZooKeeperDriver driver) {
        this.driver = driver;
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
                    LOG.debug("queue node {} of lock '{}' vanished; queueing again", mine.path(), lockId);
                    mine = null;
                    continue;
                }
                Optional<String> ahead = LockNames.predecessor(sorted, mine.name());
                if (ahead.isEmpty()) {
                    handOver(key, mine);
                    mine = null;
                    return;
                }
                sleepUntilDeleted(lockId, lockPath + "/" + ahead.get(), step, Math.min(left, RECHECK_NANOS));
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

    private void sleepUntilDeleted(String lockId, String aheadPath, Duration requestTimeout, long maxSleepNanos) throws InterruptedException {
        CountDownLatch wake = new CountDownLatch(1);
        sleepers.add(wake);
        try {
            if (driver.nodes().exists(lockId, "watch of the node ahead", aheadPath, event -> wake.countDown(), requestTimeout) != null) {
                wake.await(maxSleepNanos, TimeUnit.NANOSECONDS);
            }
        } finally {
            sleepers.remove(wake);
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
