package io.robit.redis;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.AsyncLease;
import io.robit.spi.support.BaseLease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One acquisition of a lock in Redis: the random owner string stored as the lock key's value and
 * the fencing token the acquire script returned. Renews without blocking a thread when the core
 * asks through {@link AsyncLease}. The once-only release and loss are {@link BaseLease}'s. Thread-safe.
 */
final class RedisLease extends BaseLease implements AsyncLease {
    private final RedisStore store;
    private final String id;
    private final String owner;
    private volatile long lastSentNanos;
    private volatile long ttlNanos;
    // The latest refresh failed (no answer, or an error): Redis may be unreachable.
    private volatile boolean renewalFailing;

    RedisLease(RedisStore store, String id, String owner, long token, long sentNanos, Duration ttl) {
        super(id, token);
        this.store = store;
        this.id = id;
        this.owner = owner;
        this.lastSentNanos = sentNanos;
        this.ttlNanos = ttl.toNanos();
    }

    String id() {
        return id;
    }

    String owner() {
        return owner;
    }

    RedisStore store() {
        return store;
    }

    @Override
    public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
        long sent = System.nanoTime();
        long answer;
        try {
            answer = store.refresh(this, ttl, timeout);
        } catch (RuntimeException | InterruptedException e) {
            renewalFailing = true;
            throw e;
        }
        settle(answer, sent, ttl);
    }

    /** The same as {@link #refresh}, without blocking: the answer completes on Lettuce's I/O thread. */
    @Override
    public CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout) {
        long sent = System.nanoTime();
        CompletableFuture<Void> done = new CompletableFuture<>();
        store.refreshAsync(this, ttl, timeout).whenComplete((answer, error) -> {
            if (error != null) {
                renewalFailing = true;
                done.completeExceptionally(error);
                return;
            }
            try {
                settle(answer, sent, ttl);
                done.complete(null);
            } catch (LockLostException lostError) {
                done.completeExceptionally(lostError);
            }
        });
        return done;
    }

    /** Applies a refresh answer (1 extended, 0 held by another owner, -1 gone) of a request sent at {@code sent}. */
    private void settle(long answer, long sent, Duration ttl) {
        renewalFailing = false;
        if (answer == 1) {
            lastSentNanos = sent;
            ttlNanos = ttl.toNanos();
            return;
        }
        if (answer == 0) {
            throw lose(LossReason.TAKEN_OVER, "the key is held by another owner");
        }
        if (sent - lastSentNanos >= ttlNanos) {
            throw lose(LossReason.EXPIRED, "the key expired before it was renewed");
        }
        // Missing before its TTL ran out: deleted, flushed, evicted, or lost in a restart or failover.
        throw lose(LossReason.GONE, "the key is gone before its TTL ran out");
    }

    /**
     * Whether a release should not wait for Redis: the hold is lost (the key is no longer ours), or
     * its latest renewal failed (Redis may be unreachable, and the hold is lost or about to be).
     */
    boolean releaseWithoutWaiting() {
        return renewalFailing || isLost();
    }

    /** Redis keeps the key for the whole ttl, in milliseconds: the ttl rounded down to a millisecond. */
    @Override
    public Duration guaranteedTtl(Duration requested) {
        return Duration.ofMillis(requested.toMillis());
    }
}
