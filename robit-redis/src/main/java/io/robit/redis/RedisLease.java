package io.robit.redis;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One acquisition of a lock in Redis: the random owner string stored as the lock key's value and
 * the fencing token the acquire script returned. Thread-safe.
 */
final class RedisLease implements Lease {
    private final RedisDriver driver;
    private final String id;
    private final String owner;
    private final long token;
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    private volatile long lastSentNanos;
    private volatile long ttlNanos;

    RedisLease(RedisDriver driver, String id, String owner, long token, long sentNanos, Duration ttl) {
        this.driver = driver;
        this.id = id;
        this.owner = owner;
        this.token = token;
        this.lastSentNanos = sentNanos;
        this.ttlNanos = ttl.toNanos();
    }

    String id() {
        return id;
    }

    String owner() {
        return owner;
    }

    RedisDriver driver() {
        return driver;
    }

    @Override
    public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
        long sent = System.nanoTime();
        long answer = driver.refresh(this, ttl, timeout);
        if (answer == 1) {
            lastSentNanos = sent;
            ttlNanos = ttl.toNanos();
            return;
        }
        LockLostException gone;
        if (answer == 0) {
            gone = new LockLostException(id, LossReason.TAKEN_OVER, "the key is held by another owner");
        } else if (sent - lastSentNanos >= ttlNanos) {
            gone = new LockLostException(id, LossReason.EXPIRED, "the key expired before it was renewed");
        } else {
            // Missing before its TTL ran out: deleted, flushed, evicted, or lost in a restart or failover.
            gone = new LockLostException(id, LossReason.GONE, "the key is gone before its TTL ran out");
        }
        lost.completeExceptionally(gone);
        throw gone;
    }

    /** Redis keeps the key for the whole ttl, in milliseconds: the ttl rounded down to a millisecond. */
    @Override
    public Duration guaranteedTtl(Duration requested) {
        return Duration.ofMillis(requested.toMillis());
    }

    @Override
    public CompletableFuture<Void> lost() {
        return lost;
    }

    @Override
    public long fencingToken() {
        return token;
    }

    @Override
    public String toString() {
        return "RedisLease[" + id + ", token " + token + "]";
    }
}
