package io.robit.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts that make acquire, refresh and release one atomic round trip each, with
 * their SHA-1 digests for EVALSHA. Immutable.
 *
 * <p>Keys: {@code KEYS[1]} is the lock key (its value is the owner string), {@code KEYS[2]} the
 * fencing counter; both carry the lock's hash tag, so they live in one Cluster slot.
 */
enum Scripts {
    /**
     * ARGV: owner, ttl in ms. Returns {1, token} when taken, {0, pttl} when someone holds it (pttl is
     * -1 for a key without expiry). The token is {@code max(counter + 1, server TIME in µs)}, stored
     * back as the counter: so every token is at most the server's clock at its grant (unless one
     * name is granted more than once a microsecond), and a counter restored from an older snapshot,
     * lost, or behind on a promoted replica cannot repeat or undercut an earlier token while the
     * server's clock does not step back.
     */
    ACQUIRE("""
            if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              local token = redis.call('incr', KEYS[2])
              local now = redis.call('time')
              local micros = tonumber(now[1]) * 1000000 + tonumber(now[2])
              if token < micros then
                redis.call('set', KEYS[2], now[1] .. string.format('%06d', tonumber(now[2])))
                token = micros
              end
              return {1, token}
            end
            return {0, redis.call('pttl', KEYS[1])}
            """),
    /** ARGV: owner, ttl in ms. Returns 1 when extended, 0 when another owner holds it, -1 when the key is gone. */
    REFRESH("""
            local owner = redis.call('get', KEYS[1])
            if owner == ARGV[1] then
              redis.call('pexpire', KEYS[1], ARGV[2])
              return 1
            end
            if owner then
              return 0
            end
            return -1
            """),
    /**
     * Many refreshes at once: KEYS are lock keys, ARGV alternates their owners and ttls in ms.
     * Returns one code per key, as {@link #REFRESH} does.
     */
    REFRESH_MANY("""
            local answers = {}
            for i = 1, #KEYS do
              local owner = redis.call('get', KEYS[i])
              if owner == ARGV[2 * i - 1] then
                redis.call('pexpire', KEYS[i], ARGV[2 * i])
                answers[i] = 1
              elseif owner then
                answers[i] = 0
              else
                answers[i] = -1
              end
            end
            return answers
            """),
    /**
     * ARGV: owner, release channel. Deletes the key only while it is still ours, and then tells
     * waiters on the channel. Returns 1 when deleted, 0 otherwise.
     */
    RELEASE("""
            if redis.call('get', KEYS[1]) == ARGV[1] then
              redis.call('del', KEYS[1])
              redis.call('publish', ARGV[2], '')
              return 1
            end
            return 0
            """),
    /** Read-only. Returns {owner or false, pttl, counter or false}. */
    INSPECT("""
            return {redis.call('get', KEYS[1]), redis.call('pttl', KEYS[1]), redis.call('get', KEYS[2])}
            """);

    private final String body;
    private final String sha;

    Scripts(String body) {
        this.body = body;
        this.sha = sha1(body);
    }

    String body() {
        return body;
    }

    String sha() {
        return sha;
    }

    private static String sha1(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every Java platform", e);
        }
    }
}
