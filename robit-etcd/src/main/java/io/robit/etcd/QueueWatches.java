package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The driver's live {@link QueueWatch}es, one per lock some caller waits on. A watch stays open
 * while a wait uses it and {@link #LINGER_NANOS} after the last, so back-to-back waits (a queue
 * that moves) share one. Thread-safe.
 */
final class QueueWatches {
    /** How long a watch nobody waits on stays open for the next wait. */
    static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Holds holds;
    private final ConcurrentHashMap<ByteSequence, QueueWatch> live = new ConcurrentHashMap<>();

    QueueWatches(Holds holds) {
        this.holds = holds;
    }

    /**
     * Completes {@code freed} when {@code key} ({@code lockKey} or one of its places), seen present at
     * revision {@code seenAt}, is deleted, or when the lock's watch ends; the wait uses the watch until
     * {@code freed} completes.
     */
    void awaitDelete(ByteSequence lockKey, ByteSequence key, long seenAt, CompletableFuture<Void> freed) {
        QueueWatch watch = use(lockKey);
        freed.whenComplete((ignored, error) -> watch.unuse(LINGER_NANOS));
        watch.awaitDelete(key, seenAt, freed);
    }

    private QueueWatch use(ByteSequence lockKey) {
        while (true) {
            boolean[] opened = {false};
            QueueWatch watch = live.computeIfAbsent(lockKey, k -> {
                opened[0] = true;
                return new QueueWatch(holds, k, this);
            });
            if (watch.use()) {
                if (opened[0]) {
                    watch.open();
                }
                return watch;
            }
            // Ended since it was looked up: it takes itself out of the map; make sure, and open a new one.
            live.remove(lockKey, watch);
        }
    }

    /** {@code watch} ended: the next wait on its lock opens a new one. */
    void ended(ByteSequence lockKey, QueueWatch watch) {
        live.remove(lockKey, watch);
    }

    /** The first revision {@code lockKey}'s watch reports; 0 if it has none or etcd has not confirmed it yet (for tests). */
    long startRevision(ByteSequence lockKey) {
        QueueWatch watch = live.get(lockKey);
        return watch == null ? 0 : watch.startRevision();
    }

    /** How many watches are open (for tests). */
    int size() {
        return live.size();
    }

    /** Ends every watch (the driver is closing): their waits complete. */
    void closeAll() {
        for (QueueWatch watch : live.values()) {
            watch.end();
        }
        live.clear();
    }
}
