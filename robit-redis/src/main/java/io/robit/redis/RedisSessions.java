package io.robit.redis;

import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A driver's {@link RedisSession}s: one per ttl (on Cluster, per ttl and hash slot, since one
 * script may only touch keys of one slot), made on first use. Thread-safe.
 */
final class RedisSessions {
    /** Past this many sessions, the empty ones are dropped (a lease keeps the one it joined). */
    private static final int PRUNE_ABOVE = 1024;

    private final RedisStore store;
    private final boolean cluster;
    private final ConcurrentHashMap<Key, RedisSession> sessions = new ConcurrentHashMap<>();

    RedisSessions(RedisStore store, boolean cluster) {
        this.store = store;
        this.cluster = cluster;
    }

    /** The session for a lease of {@code ttl} on {@code lockKey}. */
    RedisSession of(Duration ttl, String lockKey) {
        if (sessions.size() > PRUNE_ABOVE) {
            // Many ttls (or slots) in use over time: an empty session costs nothing to make again.
            sessions.values().removeIf(RedisSession::isEmpty);
        }
        long ttlMillis = ttl.toMillis();
        return sessions.computeIfAbsent(new Key(ttlMillis, cluster ? SlotHash.getSlot(lockKey) : 0), k -> new RedisSession(store, ttlMillis));
    }

    private record Key(long ttlMillis, int slot) {
    }
}
