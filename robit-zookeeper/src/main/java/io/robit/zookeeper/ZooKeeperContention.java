package io.robit.zookeeper;

import io.robit.DriverException;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One caller's contention for one ZooKeeper lock, and the owner of its place in the queue: the
 * ephemeral sequential node it created. An attempt that finds the lock taken keeps its node; the
 * blocking wait watches only the node just ahead of it (no herd), lists again when it is deleted
 * (the watch starts that listing itself, see {@link AheadWatch}) and returns when its node is
 * first; the next attempt then takes that node as the lock without a request. So blocking waiters
 * get the lock in the order they queued (FIFO). {@link #close()} deletes a node that was not
 * granted. Asynchronous waits do not queue (no thread would keep the place): they give the node
 * up and race, as {@link ZooKeeperDriver#awaitReleaseAsync} does.
 *
 * <p>Not thread-safe, by the {@link Contention} contract: calls never overlap and each
 * happens-before the next, whichever thread makes it.
 */
final class ZooKeeperContention implements Contention {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperContention.class);
    private static final long BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ZooKeeperContext context;
    private final ZooKeeperStore store;
    private final String id;
    private final String lockPath;
    private final Duration ttl;
    private final Duration timeout;
    private final long recheckNanos;
    // The last look found the lock taken: a fresh attempt reads before it writes.
    private boolean seenTaken;
    // Our place in the queue, not granted yet; null when we have none.
    private Node queued;
    // The contenders as the last request listed them, with `queued` among them; null once used.
    private List<String> listed;
    // `queued` was first in line at the last look: nothing can get ahead of it, so it is the lock.
    private boolean first;
    private AheadWatch watch;
    // The child watch of the listing `watch` starts when the node ahead is deleted.
    private LeaseWatch nextChildWatch;
    // The child watch our listings leave on the lock's node (one object, so re-listing adds none);
    // if it has not fired when our node is granted, nothing changed since, and it becomes the lease's watch.
    private LeaseWatch childWatch;

    ZooKeeperContention(ZooKeeperContext context, String id, Duration ttl, Duration timeout, boolean seenTaken) {
        this.context = context;
        this.store = context.store();
        this.id = id;
        this.lockPath = store.lockPath(id);
        this.ttl = ttl;
        this.timeout = timeout;
        this.recheckNanos = context.waitRecheckNanos();
        this.seenTaken = seenTaken;
    }

    /**
     * Takes our queued node if it is first in line; else, with no node, creates one and keeps it
     * if it is the lowest (the lock is ours) or as our place in line (the lock is taken). Costs
     * no request when the wait before found our node first, one listing when it returned early,
     * and a create and a listing for a fresh attempt, sent together (one round trip), or a
     * listing alone when this contention last found the lock taken and it still is.
     */
    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        context.ensureOpen();
        long sent = context.ticker().read();
        long end = sent + timeout.toNanos();
        if (queued != null && queued.sessionId() != store.currentSessionId()) {
            dropQueued(); // its session ended, and the node with it
        }
        if (queued != null && !first) {
            List<String> sorted = store.contenders(id, lockPath, childWatch(), left(end));
            if (!sorted.contains(queued.name())) {
                dropQueued();
            } else if (sorted.get(0).equals(queued.name())) {
                first = true;
            } else {
                listed = sorted;
                return Optional.empty();
            }
        }
        if (queued != null) {
            // Nothing sent in this call proves the session that owns our node (a listing is a read)
            // and the wait that found it first may have ended long ago: a process paused past the
            // session timeout still holds the old session id, though ZooKeeper expired it and
            // deleted the node (the long tier granted such a node, with an old token). The grant
            // counts from the last write or sync the quorum answered, and when that leaves too
            // little of the session's guarantee, a sync proves the session again first.
            long proven = context.session().lastContact();
            Duration guarantee = context.sessionGuarantee();
            if (guarantee == null || sent - proven > guarantee.toNanos() * 2 / 3) {
                store.sync(id, "confirmation of the session before taking a queued lock node", lockPath, left(end));
                proven = context.session().lastContact();
            }
            ZooKeeperLease lease = context.grant(queued, sent, ttl, proven);
            queued = null;
            // The listing that found our node first left a child watch: it tells the holder of a
            // delete (or, once the children change, hands over to an exists-watch), so an
            // unchanged queue costs no request here.
            bindWatch(lease);
            return Optional.of(lease);
        }
        if (seenTaken && !store.contenders(id, lockPath, left(end)).isEmpty()) {
            return Optional.empty();
        }
        ZooKeeperStore.Queued created = store.createAndList(id, lockPath, childWatch(), left(end));
        Node mine = created.node();
        List<String> sorted = created.contenders();
        if (!sorted.contains(mine.name())) {
            store.deleteInBackground(mine);
            throw new DriverException(context.backend(), id, "acquire", new KeeperException.SessionExpiredException());
        }
        if (sorted.get(0).equals(mine.name())) {
            seenTaken = false;
            ZooKeeperLease lease = context.grant(mine, sent, ttl, sent); // the create, a write, was sent at sent
            bindWatch(lease);
            return Optional.of(lease);
        }
        seenTaken = true;
        queued = mine; // our place in line, for the wait that follows
        listed = sorted;
        first = false;
        return Optional.empty();
    }

    /**
     * Queues (creating a node if we have none) and blocks until our node is first in line, or
     * {@code maxWait} passes. Only the node just ahead is watched. A failed request ends the wait
     * early (the next attempt reports it).
     */
    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        if (maxWait.isNegative() || maxWait.isZero() || context.isClosed() || (first && queued != null)) {
            return;
        }
        long end = context.ticker().read() + saturatedNanos(maxWait);
        try {
            while (true) {
                long left = end - context.ticker().read();
                if (left <= 0) {
                    return;
                }
                Duration step = Duration.ofNanos(Math.min(left, context.requestTimeout().toNanos()));
                if (queued != null && queued.sessionId() != store.currentSessionId()) {
                    dropQueued();
                }
                if (queued == null) {
                    ZooKeeperStore.Queued created = store.createAndList(id, lockPath, childWatch(), step);
                    queued = created.node();
                    listed = created.contenders();
                }
                List<String> sorted = listed != null ? listed : store.contenders(id, lockPath, childWatch(), step);
                listed = null;
                if (!sorted.contains(queued.name())) {
                    // Our node vanished with an expired session: queue again rather than wait forever.
                    // Delete it all the same (a no-op if it is gone), and pause, so that a node we
                    // cannot see in the listing is never left behind in a loop.
                    LOG.debug("queue node {} of lock '{}' is not in line; queueing again", queued.path(), id);
                    dropQueued();
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, BACKOFF_NANOS));
                    continue;
                }
                Optional<String> ahead = LockNames.predecessor(sorted, queued.name());
                if (ahead.isEmpty()) {
                    first = true;
                    return;
                }
                String aheadPath = lockPath + "/" + ahead.get();
                long session = store.currentSessionId();
                if (watch == null || !watch.isArmedOn(aheadPath, session)) {
                    if (watch != null) {
                        watch.cancel(); // a late deletion of the node it stood on starts no listing
                    }
                    // The listing the deletion starts leaves a child watch of its own: the last
                    // one has fired, or will with that same deletion.
                    LeaseWatch next = new LeaseWatch();
                    watch = new AheadWatch(aheadPath, session, context.sleepers(),
                            onListed -> store.contendersInBackground(id, lockPath, next, onListed));
                    nextChildWatch = next;
                    if (!store.watchIfExists(id, "watch of the node ahead", aheadPath, watch, step)) {
                        watch.cancel();
                        watch = null; // already gone: look again at once
                        continue;
                    }
                }
                watch.sleep(Math.min(left, recheckNanos));
                List<String> prefetched = watch.takeListing();
                if (prefetched != null) {
                    listed = prefetched;
                    childWatch = nextChildWatch;
                }
            }
        } catch (DriverException e) {
            // A spurious early return is allowed: the next attempt reports the failure.
            LOG.debug("wait for lock '{}' failed: {}", id, e.toString());
            long left = end - context.ticker().read();
            TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(left, BACKOFF_NANOS)));
        }
    }

    /** Gives up our place in line and waits as {@link ZooKeeperDriver#awaitReleaseAsync} does. */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        dropQueued();
        dropWatch();
        if (maxWait.isNegative() || maxWait.isZero() || context.isClosed()) {
            return CompletableFuture.completedFuture(null);
        }
        return AsyncWait.start(context, lockPath, saturatedNanos(maxWait));
    }

    /** Deletes our node if it was not granted, and removes our watch; never blocks, never throws. */
    @Override
    public void close() {
        try {
            dropQueued();
            dropWatch();
        } catch (RuntimeException e) {
            LOG.warn("cleanup of a wait for lock '{}' failed: {}", id, e.toString());
        }
    }

    // Hands the child watch of the listing that found our node first to its lease (an exists-watch if there is none).
    private void bindWatch(ZooKeeperLease lease) {
        if (childWatch == null) {
            lease.watchNode();
        } else {
            childWatch.bind(lease);
            childWatch = null;
        }
    }

    // The contention's child watch, a fresh one once the last has fired (ZooKeeper dropped it then).
    private LeaseWatch childWatch() {
        if (childWatch == null || childWatch.fired()) {
            childWatch = new LeaseWatch();
        }
        return childWatch;
    }

    private void dropQueued() {
        if (queued != null) {
            store.deleteInBackground(queued);
            queued = null;
        }
        listed = null;
        first = false;
    }

    // A wait that gives up must not leave its watch until the node ahead goes.
    private void dropWatch() {
        if (watch != null) {
            watch.cancel();
            if (!watch.fired()) {
                store.unwatch(watch.path(), watch);
            }
        }
        watch = null;
    }

    private Duration left(long endNanos) {
        long left = endNanos - context.ticker().read();
        if (left <= 0) {
            throw new DriverException(context.backend(), id, "acquire", new TimeoutException("the acquire timeout ran out"));
        }
        return Duration.ofNanos(left);
    }

    // Differences of ticker readings stay right across overflow while they are below 2^63.
    static long saturatedNanos(Duration wait) {
        try {
            return Math.min(wait.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
