package io.robit.redis;

import io.robit.DriverException;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One waiting lock call on Redis ({@link RedisDriver#contend}), and the waiting itself. A failed
 * attempt leaves a {@link Hint} (how many release messages its channel had seen before the attempt
 * was sent, and the holder's remaining TTL) for the wait after it, on whatever thread that wait
 * runs. A wait sleeps on the driver's shared pub/sub connection ({@link ReleaseSignals}) until a
 * release message, and wakes anyway just after the holder's key would expire, because pub/sub is
 * at-most-once. Without a hint (the first wait on a channel, or {@link RedisDriver#awaitRelease}
 * called directly) it subscribes first and then reads the key's TTL, so a release after that read
 * is seen.
 *
 * <p>Not thread-safe by itself: the core orders the calls on one contention (see
 * {@link Contention}), each happening-before the next, which is all its one field needs.
 */
final class RedisContention implements Contention {
    private static final long ONE_MS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Wake period when the holder's key has no expiry or the notification channel is down. */
    private static final long FALLBACK_WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_WAKE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final RedisStore store;
    private final ReleaseSignals signals;
    private final RedisStore.Keys keys;
    private final Duration ttl;
    private final Duration timeout;
    private Hint hint; // what the last failed attempt learned; consumed by the next wait

    RedisContention(RedisStore store, ReleaseSignals signals, RedisStore.Keys keys, Duration ttl, Duration timeout) {
        this.store = store;
        this.signals = signals;
        this.keys = keys;
        this.ttl = ttl;
        this.timeout = timeout;
    }

    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        hint = null;
        store.checkOpen();
        // Read before sending: a release message counted after this is one our failed attempt may not have seen.
        ReleaseSignals.Channel subscribed = signals.subscribed(keys.channel());
        long generation = subscribed == null ? -1 : subscribed.generation();
        RedisStore.Attempt attempt = store.acquire(keys, ttl, timeout, true);
        if (attempt.lease() == null) {
            hint = new Hint(subscribed, generation, wakeAt(attempt.receivedNanos(), attempt.pttl()));
        }
        return Optional.ofNullable(attempt.lease());
    }

    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        Hint used = hint;
        hint = null;
        await(store, signals, keys, used, maxWait);
    }

    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        Hint used = hint;
        hint = null;
        return awaitAsync(store, signals, keys, used, maxWait);
    }

    /** Nothing to end: a wait leaves its channel when it returns, and the channel lingers for the next. */
    @Override
    public void close() {
        hint = null;
    }

    /** Blocks until a release message after {@code hint}'s attempt, the holder's expiry, or {@code maxWait}. */
    static void await(RedisStore store, ReleaseSignals signals, RedisStore.Keys keys, Hint hint, Duration maxWait)
            throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        long now = System.nanoTime();
        long deadline = now + RedisStore.saturatedNanos(maxWait);
        if (maxWait.isNegative() || maxWait.isZero()) {
            return;
        }
        store.checkOpen();
        ReleaseSignals.Channel channel = signals.join(keys.channel());
        try {
            long seen;
            long wakeAt;
            if (hint != null && hint.subscribed() == channel) {
                // The channel was subscribed before the failed attempt was sent: nothing was missed.
                seen = hint.generation();
                wakeAt = hint.wakeAt();
            } else {
                // Subscribe first, then look at the key: a release after the look is then seen.
                long fallback = hint != null ? hint.wakeAt() : now + FALLBACK_WAKE_NANOS;
                long commandTimeout = RedisStore.saturatedNanos(store.commandTimeout());
                if (!channel.awaitSubscribed(Math.min(deadline, now + commandTimeout))) {
                    sleepUntil(Math.min(deadline, fallback));
                    return;
                }
                seen = channel.generation();
                long pttl;
                try {
                    pttl = store.probe(keys, Duration.ofNanos(Math.max(ONE_MS, Math.min(deadline - System.nanoTime(), commandTimeout))));
                } catch (DriverException e) {
                    sleepUntil(Math.min(deadline, fallback));
                    return;
                }
                if (pttl == -2) {
                    return; // free already
                }
                wakeAt = wakeAt(System.nanoTime(), pttl);
            }
            channel.awaitAfter(seen, Math.min(deadline, wakeAt));
        } finally {
            signals.leave(channel);
        }
    }

    /**
     * Waits like {@link #await} without parking a thread: the release message completes the future
     * on Lettuce's I/O thread, and a timer ({@link Wakeups}) at the holder's expiry or {@code maxWait}.
     */
    static CompletableFuture<Void> awaitAsync(RedisStore store, ReleaseSignals signals, RedisStore.Keys keys, Hint hint, Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        long now = System.nanoTime();
        long deadline = now + RedisStore.saturatedNanos(maxWait);
        if (maxWait.isNegative() || maxWait.isZero()) {
            return CompletableFuture.completedFuture(null);
        }
        store.checkOpen();
        ReleaseSignals.Channel channel = signals.join(keys.channel());
        CompletableFuture<Void> woken = new CompletableFuture<>();
        woken.whenComplete((ignored, error) -> signals.leave(channel));
        if (hint != null && hint.subscribed() == channel) {
            // Subscribed before the failed attempt was sent: nothing was missed.
            Wakeups.at(woken, Math.min(deadline, hint.wakeAt()));
            channel.completeAfter(hint.generation(), woken);
            return woken;
        }
        // Subscribe first, then look at the key: a release after the look is then seen.
        long fallback = Math.min(deadline, hint != null ? hint.wakeAt() : now + FALLBACK_WAKE_NANOS);
        CompletableFuture<?> subscribing = channel.subscription();
        if (subscribing == null) {
            Wakeups.at(woken, fallback);
            return woken;
        }
        CompletableFuture<Void> looked = new CompletableFuture<>();
        // A subscribe or probe that does not answer within the command timeout: try again then.
        CompletableFuture<Void> lookTimeout = new CompletableFuture<>();
        looked.whenComplete((ignored, error) -> lookTimeout.cancel(false));
        woken.whenComplete((ignored, error) -> lookTimeout.cancel(false));
        lookTimeout.thenRun(() -> woken.complete(null));
        Wakeups.at(lookTimeout, Math.min(deadline, now + RedisStore.saturatedNanos(store.commandTimeout())));
        subscribing.whenComplete((subscribed, subscribeError) -> {
            if (subscribeError != null) {
                looked.complete(null);
                Wakeups.at(woken, fallback);
                return;
            }
            long seen = channel.generation();
            store.probeAsync(keys).whenComplete((pttl, probeError) -> {
                looked.complete(null);
                if (probeError != null || pttl == null) {
                    Wakeups.at(woken, fallback);
                } else if (pttl == -2) {
                    woken.complete(null); // free already
                } else {
                    Wakeups.at(woken, Math.min(deadline, wakeAt(System.nanoTime(), pttl)));
                    channel.completeAfter(seen, woken);
                }
            });
        });
        return woken;
    }

    /** Just after the holder's key expires; soon when it has no expiry (pttl -1) or is gone (-2). */
    private static long wakeAt(long from, long pttl) {
        if (pttl >= 0) {
            return from + TimeUnit.MILLISECONDS.toNanos(pttl) + ONE_MS;
        }
        return from + (pttl == -1 ? MAX_WAKE_NANOS : 0);
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /**
     * What a failed attempt learned: the channel subscribed when it was sent (or null) and its message
     * count then, and when to wake if no message comes ({@link System#nanoTime}).
     */
    record Hint(ReleaseSignals.Channel subscribed, long generation, long wakeAt) {
    }
}
