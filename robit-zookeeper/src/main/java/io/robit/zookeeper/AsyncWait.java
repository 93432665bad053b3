package io.robit.zookeeper;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One waiter of {@link ZooKeeperDriver#awaitReleaseAsync}: lists the lock's contenders, watches the
 * first in line (the holder, or a queued waiter about to hold it) and completes when that node is
 * deleted, or when a timer runs out. Every request is a Curator background call, so no thread is
 * parked. It does not queue, unlike the blocking wait: the next attempt races the other waiters.
 * Thread-safe.
 */
final class AsyncWait {
    private static final Logger LOG = LoggerFactory.getLogger(AsyncWait.class);
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ZooKeeperContext context;
    private final CuratorFramework client;
    private final String lockPath;
    private final CompletableFuture<Void> woken = new CompletableFuture<>();

    private AsyncWait(ZooKeeperContext context, String lockPath) {
        this.context = context;
        this.client = context.client();
        this.lockPath = lockPath;
    }

    /** Starts waiting; the future completes when the caller should try again. */
    static CompletableFuture<Void> start(ZooKeeperContext context, String lockPath, long maxNanos) {
        AsyncWait wait = new AsyncWait(context, lockPath);
        wait.wakeAfter(maxNanos);
        try {
            wait.client.getChildren().inBackground((c, event) -> wait.listed(event)).forPath(lockPath);
        } catch (Exception e) {
            wait.retrySoon(e);
        }
        return wait.woken;
    }

    private void listed(CuratorEvent event) {
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code == KeeperException.Code.NONODE) {
            woken.complete(null); // nobody holds or queues
            return;
        }
        if (code != KeeperException.Code.OK) {
            retrySoon(KeeperException.create(code, lockPath));
            return;
        }
        List<String> sorted = LockNames.contenders(event.getChildren());
        if (sorted.isEmpty() || LockNames.needsCreationOrder(sorted)) {
            // Free, or an order only czxids can tell: let the next attempt find out.
            woken.complete(null);
            return;
        }
        String first = lockPath + "/" + sorted.get(0);
        Watcher watcher = watched -> woken.complete(null); // deleted, or the connection changed: look again
        try {
            client.checkExists().usingWatcher(watcher).inBackground((c, exists) -> {
                if (exists.getStat() == null) {
                    woken.complete(null); // gone meanwhile
                }
            }).forPath(first);
        } catch (Exception e) {
            retrySoon(e);
            return;
        }
        woken.whenComplete((ignored, error) -> {
            try {
                client.watchers().remove(watcher).ofType(Watcher.WatcherType.Any).quietly().inBackground().forPath(first);
            } catch (Exception e) {
                LOG.debug("could not remove the watch on {}: {}", first, e.toString());
            }
        });
    }

    private void retrySoon(Exception cause) {
        LOG.debug("asynchronous wait on {} failed; trying again soon: {}", lockPath, cause.toString());
        wakeAfter(RETRY_NANOS);
    }

    private void wakeAfter(long nanos) {
        ScheduledFuture<?> task = context.schedule(() -> woken.complete(null), nanos, TimeUnit.NANOSECONDS);
        if (task == null) {
            woken.complete(null); // the driver is closed: the next attempt says so
            return;
        }
        woken.whenComplete((ignored, error) -> task.cancel(false));
    }
}
