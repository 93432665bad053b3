package io.robit.redis;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.SessionLease;
import io.robit.spi.support.BaseLease;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One acquisition of a lock in Redis: the random owner string stored as the lock key's value and
 * the fencing token the acquire script returned. The core renews it through its {@link RedisSession}
 * (the driver's leases of the same ttl, renewed by one keep-alive); {@link #refresh} renews it alone.
 * The once-only release and loss are {@link BaseLease}'s. Thread-safe.
 */
final class RedisLease extends BaseLease implements SessionLease {
    private final RedisStore store;
    private final String id;
    private final RedisStore.Keys keys;
    private final String owner;
    private final byte[] ownerRaw;
    private final RedisSession session;
    private volatile long lastSentNanos;
    private volatile long ttlNanos;
    // The latest refresh failed (no answer, or an error): Redis may be unreachable.
    private volatile boolean renewalFailing;

    RedisLease(RedisStore store, RedisStore.Keys keys, String owner, byte[] ownerRaw, long token, long sentNanos, Duration ttl,
            RedisSession session) {
        super(keys.id(), token);
        this.store = store;
        this.id = keys.id();
        this.keys = keys;
        this.owner = owner;
        this.ownerRaw = ownerRaw;
        this.session = session;
        this.lastSentNanos = sentNanos;
        this.ttlNanos = ttl.toNanos();
    }

    String id() {
        return id;
    }

    /** The lock key. */
    String key() {
        return keys.lock();
    }

    /** The lock's keys, with their encoded forms. */
    RedisStore.Keys keys() {
        return keys;
    }

    String owner() {
        return owner;
    }

    /** The owner string in UTF-8, as the scripts take it (never modified). */
    byte[] ownerRaw() {
        return ownerRaw;
    }

    RedisStore store() {
        return store;
    }

    @Override
    public RedisSession session() {
        return session;
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
        LockLostException loss = settle(answer, sent, ttl.toMillis());
        if (loss != null) {
            throw loss;
        }
    }

    /**
     * Applies a refresh answer (1 extended, 0 held by another owner, -1 gone) of a request sent at
     * {@code sent}: on a loss, takes the lease off its session and completes {@link #lost()}.
     *
     * @return the loss, or null when the key was extended
     */
    LockLostException settle(long answer, long sent, long ttlMillis) {
        renewalFailing = false;
        if (answer == 1) {
            lastSentNanos = sent;
            ttlNanos = TimeUnit.MILLISECONDS.toNanos(ttlMillis);
            return null;
        }
        session.leave(this);
        if (answer == 0) {
            return lose(LossReason.TAKEN_OVER, "the key is held by another owner");
        }
        if (sent - lastSentNanos >= ttlNanos) {
            return lose(LossReason.EXPIRED, "the key expired before it was renewed");
        }
        // Missing before its TTL ran out: deleted, flushed, evicted, or lost in a restart or failover.
        return lose(LossReason.GONE, "the key is gone before its TTL ran out");
    }

    /** A renewal that covered this lease failed (no answer, or an error): Redis may be unreachable. */
    void renewalFailed() {
        renewalFailing = true;
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
