package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One watch per lock that this driver's callers wait on: the deletes of the lock key and of its
 * queue's places, from one long-lived etcd watch, handed to the waits registered for them.
 *
 * <p>Why one that outlives a wait: etcd (3.4, {@code v3rpc} {@code recvLoop}) starts a watch "from
 * now" at the revision it read just before registering it; a write in between makes the new watch
 * <em>unsynced</em>, and an unsynced watch gets its events from a loop that runs every 100 ms. Under
 * contention about one per-wait watch in a hundred landed there, and each cost its waiter up to
 * 100 ms. A watch that lives across waits is synced once and stays so.
 *
 * <p>No delete is missed: a wait registered for a key seen at revision {@code seenAt} completes on
 * any delete of that key after {@code seenAt}: from the deletes already reported (remembered per
 * key, a bounded number), from the ones reported later, or, where the watch may not cover the
 * revisions since {@code seenAt} (it started later, or that memory was cleared), from one read that
 * finds the key gone or created anew. A watch that fails or ends completes every wait (the callers
 * try again) and is replaced by the next wait. Thread-safe: the state is guarded by this object,
 * and futures are completed outside it.
 */
final class QueueWatch {
    /** Keys whose last delete is remembered; past it, the memory is cleared and older waits read instead. */
    static final int MAX_REMEMBERED_DELETES = 256;

    private final Holds holds;
    private final ByteSequence lockKey;
    private final ByteSequence queuePrefix;
    private final QueueWatches registry;
    // All below guarded by this.
    private Watch.Watcher watcher;
    // The first revision the watch reports: created revision + 1, or 0 until etcd confirms it.
    private long startRevision;
    // Deletes at or below this revision may have been forgotten.
    private long forgottenUpTo;
    private final Map<ByteSequence, Long> deletedAt = new HashMap<>();
    private final Map<ByteSequence, List<Wait>> waits = new HashMap<>();
    private int users;
    private boolean ended;
    private ScheduledFuture<?> closing;

    QueueWatch(Holds holds, ByteSequence lockKey, QueueWatches registry) {
        this.holds = holds;
        this.lockKey = lockKey;
        this.queuePrefix = WaitQueue.prefix(lockKey);
        this.registry = registry;
    }

    /** Opens the etcd watch; once, right after construction, outside any lock of the caller's. */
    void open() {
        Watch.Watcher opened = holds.store().watchQueueDeletes(lockKey, WaitQueue.end(lockKey),
                this::created, this::deleted, error -> end(), this::end);
        boolean closeNow;
        synchronized (this) {
            watcher = opened;
            closeNow = ended;
        }
        if (closeNow) {
            opened.close();
        }
    }

    /** The first revision the watch reports, or 0 until etcd has confirmed it (for tests). */
    synchronized long startRevision() {
        return startRevision;
    }

    /** Takes a use; false if this watch has ended (the caller needs a new one). */
    synchronized boolean use() {
        if (ended) {
            return false;
        }
        users++;
        if (closing != null) {
            closing.cancel(false);
            closing = null;
        }
        return true;
    }

    /** Gives a use back; the last one closes the watch after {@code lingerNanos} unless a use is taken meanwhile. */
    void unuse(long lingerNanos) {
        synchronized (this) {
            if (--users > 0 || ended) {
                return;
            }
            closing = holds.scheduleOrNull(this::closeIfUnused, lingerNanos);
            if (closing != null) {
                return;
            }
        }
        // The driver is closed: no timer.
        end(true);
    }

    private void closeIfUnused() {
        end(true);
    }

    /**
     * Completes {@code freed} when {@code key} (the lock key or one of its places), seen present at
     * revision {@code seenAt}, is deleted; the caller holds a use of this watch until then.
     */
    void awaitDelete(ByteSequence key, long seenAt, CompletableFuture<Void> freed) {
        Wait wait = new Wait(key, seenAt, freed);
        boolean gone;
        boolean read;
        synchronized (this) {
            if (ended) {
                gone = true;
                read = false;
            } else {
                Long deleted = deletedAt.get(key);
                gone = deleted != null && deleted > seenAt;
                // Until etcd confirms the watch, created() reads for every wait; after, only for one it may not cover.
                read = !gone && startRevision > 0 && (seenAt < startRevision - 1 || seenAt < forgottenUpTo);
                if (!gone) {
                    waits.computeIfAbsent(key, k -> new ArrayList<>()).add(wait);
                }
            }
        }
        if (gone) {
            freed.complete(null);
            return;
        }
        freed.whenComplete((ignored, error) -> forget(wait));
        if (read) {
            stillThere(wait);
        }
    }

    private synchronized void forget(Wait wait) {
        List<Wait> forKey = waits.get(wait.key);
        if (forKey != null && forKey.remove(wait) && forKey.isEmpty()) {
            waits.remove(wait.key);
        }
    }

    private void created(long revision) {
        List<Wait> uncovered = new ArrayList<>();
        synchronized (this) {
            startRevision = revision + 1;
            for (List<Wait> forKey : waits.values()) {
                for (Wait wait : forKey) {
                    if (wait.seenAt < revision) {
                        uncovered.add(wait);
                    }
                }
            }
        }
        uncovered.forEach(this::stillThere);
    }

    private void deleted(List<WatchEvent> events) {
        List<Wait> freed = new ArrayList<>();
        synchronized (this) {
            for (WatchEvent event : events) {
                if (event.getEventType() != WatchEvent.EventType.DELETE) {
                    continue;
                }
                ByteSequence key = event.getKeyValue().getKey();
                long revision = event.getKeyValue().getModRevision();
                if (!key.equals(lockKey) && !key.startsWith(queuePrefix)) {
                    // Another lock's key inside the range (a name this one is a prefix of).
                    continue;
                }
                if (deletedAt.size() >= MAX_REMEMBERED_DELETES) {
                    // Events come in revision order: every delete forgotten here is at or below this one.
                    deletedAt.clear();
                    forgottenUpTo = revision;
                }
                deletedAt.put(key, revision);
                List<Wait> forKey = waits.get(key);
                if (forKey != null) {
                    for (Wait wait : forKey) {
                        if (wait.seenAt < revision) {
                            freed.add(wait);
                        }
                    }
                }
            }
        }
        freed.forEach(wait -> wait.freed.complete(null));
    }

    /** Completes the wait unless its key is still there as it was seen (created at or before {@code seenAt}). */
    private void stillThere(Wait wait) {
        if (wait.freed.isDone()) {
            return;
        }
        holds.store().probe(wait.key).orTimeout(holds.requestTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .whenComplete((now, error) -> {
                    if (error != null || now.getKvs().isEmpty() || now.getKvs().get(0).getCreateRevision() > wait.seenAt) {
                        wait.freed.complete(null);
                    }
                });
    }

    /** Ends this watch (error, end of stream, idle, driver closed): every wait completes, and the next wait opens a new one. */
    void end() {
        end(false);
    }

    /** Ends this watch, unless it has ended or {@code onlyIfUnused} and a wait took a use since the check was due. */
    private void end(boolean onlyIfUnused) {
        List<Wait> all = new ArrayList<>();
        Watch.Watcher toClose;
        synchronized (this) {
            if (ended || (onlyIfUnused && users > 0)) {
                return;
            }
            ended = true;
            if (closing != null) {
                closing.cancel(false);
                closing = null;
            }
            waits.values().forEach(all::addAll);
            waits.clear();
            toClose = watcher;
        }
        registry.ended(lockKey, this);
        if (toClose != null) {
            toClose.close();
        }
        all.forEach(wait -> wait.freed.complete(null));
    }

    private record Wait(ByteSequence key, long seenAt, CompletableFuture<Void> freed) {
    }
}
