package io.robit.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToIntFunction;

/**
 * Groups the refreshes that fall due within a short window into one EVALSHA of a script that
 * checks and extends every key of the group, so many held locks cost Redis (and the client's I/O
 * thread) one command per window instead of one per lock. On Cluster a group holds only keys of
 * one slot, since a script may not cross slots. Each refresh still gets its own answer (1
 * extended, 0 held by another owner, -1 gone). Thread-safe.
 */
final class RefreshBatcher {
    /** At most this many keys per script call, so one call never blocks Redis for long. */
    static final int MAX_BATCH = 256;

    private static final ScheduledExecutorService FLUSHER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "robit-redis-refresh");
        thread.setDaemon(true);
        return thread;
    });

    /** Sends one group: KEYS are lock keys, ARGV alternates owner and ttl in ms. */
    interface Sender {
        CompletionStage<List<Object>> send(Commands commands, String[] keys, String[] args);
    }

    private final long windowNanos;
    private final ToIntFunction<String> group;
    private final Sender sender;
    private final ReentrantLock lock = new ReentrantLock();
    private List<Pending> pending = new ArrayList<>(); // guarded by lock
    private boolean flushScheduled; // guarded by lock

    /**
     * @param windowNanos how long the first refresh of a group waits for others to join
     * @param group which keys may share a script call (equal values may); constant for standalone
     * @param sender sends a group
     */
    RefreshBatcher(long windowNanos, ToIntFunction<String> group, Sender sender) {
        this.windowNanos = windowNanos;
        this.group = group;
        this.sender = sender;
    }

    /** Queues a refresh of {@code key} for {@code owner}; completes with 1, 0 or -1. */
    CompletableFuture<Long> refresh(Commands commands, String key, String owner, long ttlMillis) {
        Pending request = new Pending(commands, key, owner, ttlMillis, new CompletableFuture<>());
        boolean schedule;
        boolean full;
        lock.lock();
        try {
            pending.add(request);
            full = pending.size() >= MAX_BATCH;
            schedule = !flushScheduled && !full;
            flushScheduled |= schedule;
        } finally {
            lock.unlock();
        }
        if (full) {
            flush();
        } else if (schedule) {
            FLUSHER.schedule(this::flush, windowNanos, TimeUnit.NANOSECONDS);
        }
        return request.answer();
    }

    private void flush() {
        List<Pending> batch;
        lock.lock();
        try {
            batch = pending;
            pending = new ArrayList<>();
            flushScheduled = false;
        } finally {
            lock.unlock();
        }
        Map<Integer, List<Pending>> groups = new LinkedHashMap<>();
        for (Pending request : batch) {
            groups.computeIfAbsent(group.applyAsInt(request.key()), g -> new ArrayList<>()).add(request);
        }
        for (List<Pending> members : groups.values()) {
            for (int from = 0; from < members.size(); from += MAX_BATCH) {
                send(members.subList(from, Math.min(members.size(), from + MAX_BATCH)));
            }
        }
    }

    private void send(List<Pending> members) {
        String[] keys = new String[members.size()];
        String[] args = new String[members.size() * 2];
        for (int i = 0; i < keys.length; i++) {
            Pending request = members.get(i);
            keys[i] = request.key();
            args[2 * i] = request.owner();
            args[2 * i + 1] = Long.toString(request.ttlMillis());
        }
        CompletionStage<List<Object>> answers;
        try {
            answers = sender.send(members.get(0).commands(), keys, args);
        } catch (RuntimeException e) {
            members.forEach(request -> request.answer().completeExceptionally(e));
            return;
        }
        answers.whenComplete((codes, error) -> {
            for (int i = 0; i < members.size(); i++) {
                if (error != null) {
                    members.get(i).answer().completeExceptionally(error);
                } else {
                    members.get(i).answer().complete((Long) codes.get(i));
                }
            }
        });
    }

    private record Pending(Commands commands, String key, String owner, long ttlMillis, CompletableFuture<Long> answer) {
    }
}
