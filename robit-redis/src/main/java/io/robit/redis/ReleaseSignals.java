package io.robit.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The release notifications of one driver: a single pub/sub connection shared by every waiter,
 * subscribed to one channel per lock that someone in this driver waits for. A channel stays
 * subscribed for a short linger after its last waiter leaves, so a stream of handoffs does not
 * subscribe and unsubscribe each time. Each channel counts the messages it received (its
 * generation); a waiter sleeps until the generation moves past the value it saw before its failed
 * acquire was sent, which is how a release between that acquire and the wait is not missed.
 *
 * <p>Pub/sub is at-most-once (a message sent while the connection is down is gone), so waiters
 * also wake at the holder's remaining TTL; that is the caller's deadline. Thread-safe; listener
 * callbacks run on Lettuce's I/O thread and only signal.
 */
final class ReleaseSignals implements AutoCloseable {
    /** How long a channel stays subscribed after its last waiter left, unless set otherwise. */
    static final Duration LINGER = Duration.ofSeconds(10);
    private static final CompletableFuture<Void> NOTHING_PENDING = CompletableFuture.completedFuture(null);

    private final Connections connections;
    private final long lingerNanos;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    private final Executor sweeper;
    private final ReentrantLock lock = new ReentrantLock();
    private CompletableFuture<StatefulRedisPubSubConnection<String, String>> connection; // guarded by lock
    private boolean closed; // guarded by lock

    ReleaseSignals(Connections connections, Duration linger) {
        this.connections = connections;
        this.lingerNanos = linger.toNanos();
        this.sweeper = CompletableFuture.delayedExecutor(lingerNanos, TimeUnit.NANOSECONDS);
    }

    /** The channel if it is subscribed now (a message to it would be seen), else {@code null}. */
    Channel subscribed(String name) {
        Channel channel = channels.get(name);
        return channel != null && channel.isSubscribed() ? channel : null;
    }

    /** Registers a waiter on {@code name}, subscribing if needed; pair with {@link #leave}. */
    Channel join(String name) {
        while (true) {
            // A retired channel may not have sent its UNSUBSCRIBE yet: its successor subscribes only
            // after that, on the same connection, so the UNSUBSCRIBE cannot cancel the new SUBSCRIBE.
            Channel channel = channels.compute(name, (key, current) -> current == null ? new Channel(key, NOTHING_PENDING)
                    : current.isRetired() ? new Channel(key, current.unsubscribeSent) : current);
            if (channel.join()) {
                return channel;
            }
            // Retired between the lookup and join: the next lookup replaces it.
        }
    }

    void leave(Channel channel) {
        if (channel.leave()) {
            sweeper.execute(() -> sweep(channel));
        }
    }

    private void sweep(Channel channel) {
        long idle = channel.idleNanos();
        if (idle < 0) {
            return; // in use again; its next leave schedules the next sweep
        }
        if (idle < lingerNanos) {
            CompletableFuture.delayedExecutor(lingerNanos - idle, TimeUnit.NANOSECONDS).execute(() -> sweep(channel));
            return;
        }
        if (channel.retire()) {
            // Stays in the map until its UNSUBSCRIBE is sent, so a new waiter's SUBSCRIBE goes after it.
            CompletableFuture<StatefulRedisPubSubConnection<String, String>> open = currentConnection();
            if (open == null) {
                channel.unsubscribeSent(null);
            } else {
                open.whenComplete((c, error) -> channel.unsubscribeSent(c));
            }
        }
    }

    private CompletableFuture<StatefulRedisPubSubConnection<String, String>> currentConnection() {
        lock.lock();
        try {
            return connection;
        } finally {
            lock.unlock();
        }
    }

    private CompletableFuture<StatefulRedisPubSubConnection<String, String>> connection() {
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the Redis driver is closed"));
            }
            if (connection == null || connection.isCompletedExceptionally()) {
                connection = connections.openPubSub().thenApply(c -> {
                    c.addListener(new Listener());
                    return c;
                });
            }
            return connection;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        CompletableFuture<StatefulRedisPubSubConnection<String, String>> open;
        lock.lock();
        try {
            closed = true;
            open = connection;
        } finally {
            lock.unlock();
        }
        if (open != null && !connections.ownsClient()) {
            open.thenAccept(StatefulRedisPubSubConnection::closeAsync);
        }
    }

    private final class Listener extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String name, String message) {
            wake(name);
        }

        @Override
        public void subscribed(String name, long count) {
            // Also sent after a reconnect: messages may have been missed meanwhile, so wake everyone.
            wake(name);
        }

        private void wake(String name) {
            Channel channel = channels.get(name);
            if (channel != null) {
                channel.advance();
            }
        }
    }

    /** One subscribed channel and its waiters. Thread-safe. */
    final class Channel {
        private final String name;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private long generation; // guarded by lock
        private int waiters; // guarded by lock
        private long idleSince; // guarded by lock
        private volatile boolean retired; // written under lock
        private boolean sweepPending; // guarded by lock
        private final List<CompletableFuture<Void>> asyncWaiters = new ArrayList<>(); // guarded by lock
        private volatile CompletableFuture<?> subscription;
        // The predecessor's UNSUBSCRIBE was sent (or there was none): only then may this one SUBSCRIBE.
        private final CompletableFuture<Void> predecessorGone;
        // Completed once this channel's own UNSUBSCRIBE was sent, after it was retired.
        private final CompletableFuture<Void> unsubscribeSent = new CompletableFuture<>();

        private Channel(String name, CompletableFuture<Void> predecessorGone) {
            this.name = name;
            this.predecessorGone = predecessorGone;
        }

        boolean isRetired() {
            return retired;
        }

        /** Sends the UNSUBSCRIBE on {@code open} (none if null), then lets a successor subscribe and drops this channel. */
        private void unsubscribeSent(StatefulRedisPubSubConnection<String, String> open) {
            try {
                if (open != null) {
                    open.async().unsubscribe(name);
                }
            } finally {
                unsubscribeSent.complete(null);
                channels.remove(name, this);
            }
        }

        boolean isSubscribed() {
            CompletableFuture<?> current = subscription;
            return current != null && current.isDone() && !current.isCompletedExceptionally();
        }

        long generation() {
            lock.lock();
            try {
                return generation;
            } finally {
                lock.unlock();
            }
        }

        /** Waits until the SUBSCRIBE is confirmed, at most until {@code deadline} ({@link System#nanoTime}); whether it is. */
        boolean awaitSubscribed(long deadline) throws InterruptedException {
            CompletableFuture<?> current = subscription;
            if (current == null) {
                return false;
            }
            try {
                current.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                return true;
            } catch (ExecutionException | TimeoutException e) {
                return false;
            }
        }

        /** Sleeps until a message arrives after generation {@code seen}, or {@code deadline} ({@link System#nanoTime}). */
        void awaitAfter(long seen, long deadline) throws InterruptedException {
            lock.lock();
            try {
                long left = deadline - System.nanoTime();
                while (generation == seen && left > 0) {
                    left = changed.awaitNanos(left);
                }
            } finally {
                lock.unlock();
            }
        }

        /** The SUBSCRIBE in progress or done, or {@code null} before the first join. */
        CompletableFuture<?> subscription() {
            return subscription;
        }

        /** Completes {@code waiter} when a message arrives after generation {@code seen} (at once if one has); never blocks. */
        void completeAfter(long seen, CompletableFuture<Void> waiter) {
            boolean now;
            lock.lock();
            try {
                now = generation != seen;
                if (!now) {
                    asyncWaiters.add(waiter);
                }
            } finally {
                lock.unlock();
            }
            if (now) {
                waiter.complete(null);
            } else {
                waiter.whenComplete((ignored, error) -> forget(waiter));
            }
        }

        private void forget(CompletableFuture<Void> waiter) {
            lock.lock();
            try {
                asyncWaiters.remove(waiter);
            } finally {
                lock.unlock();
            }
        }

        private void advance() {
            List<CompletableFuture<Void>> woken;
            lock.lock();
            try {
                generation++;
                changed.signalAll();
                woken = asyncWaiters.isEmpty() ? List.of() : new ArrayList<>(asyncWaiters);
                asyncWaiters.clear();
            } finally {
                lock.unlock();
            }
            // On Lettuce's I/O thread: completing only hands each waiter's next attempt to the core's pool.
            woken.forEach(waiter -> waiter.complete(null));
        }

        private boolean join() {
            boolean subscribe;
            lock.lock();
            try {
                if (retired) {
                    return false;
                }
                waiters++;
                CompletableFuture<?> current = subscription;
                subscribe = current == null || current.isCompletedExceptionally();
            } finally {
                lock.unlock();
            }
            if (subscribe) {
                // Concurrent joiners may both subscribe; SUBSCRIBE is idempotent.
                subscription = predecessorGone.thenCompose(ignored -> connection()).thenCompose(c -> c.async().subscribe(name));
            }
            return true;
        }

        /** @return whether this was the last waiter and no sweep is pending yet */
        private boolean leave() {
            lock.lock();
            try {
                waiters--;
                idleSince = System.nanoTime();
                if (waiters > 0 || sweepPending) {
                    return false;
                }
                sweepPending = true;
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** Nanoseconds since the last waiter left, or -1 while there are waiters. */
        private long idleNanos() {
            lock.lock();
            try {
                if (waiters > 0) {
                    sweepPending = false;
                    return -1;
                }
                return System.nanoTime() - idleSince;
            } finally {
                lock.unlock();
            }
        }

        /** Marks the channel unusable if it has no waiters; after this, {@link #join} refuses. */
        private boolean retire() {
            lock.lock();
            try {
                if (waiters > 0) {
                    return false;
                }
                retired = true;
                return true;
            } finally {
                lock.unlock();
            }
        }
    }
}
