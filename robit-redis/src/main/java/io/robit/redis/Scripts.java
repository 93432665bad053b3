package io.robit.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts that make acquire, refresh and release one atomic round trip each, with
 * their SHA-1 digests for EVALSHA. Immutable.
 *
 * <p>Keys: the lock key (its value is the owner string), the fencing counter, and the waiters key
 * (present while someone waits for a release); all carry the lock's hash tag, so they live in one
 * Cluster slot. A waiter registers in the same script that finds the lock held, and the release
 * reads the registration in the same script that deletes the key, so a release either sees a
 * waiter's registration or happens before that waiter's attempt (which then finds the lock free):
 * no wake-up is lost to a waiter that was subscribed when it registered, and nobody publishes
 * when nobody waits.
 */
enum Scripts {
    /**
     * KEYS: lock, counter, waiters. ARGV: owner, ttl in ms, {@code 1} when the caller will wait for a
     * release. Returns {1, token} when taken, {0, pttl} when someone holds it (pttl is -1 for a key
     * without expiry); a caller that will wait is then registered in the waiters key (see
     * {@link #RELEASE}) until the holder's key would expire plus 5 s (a waiter whose registration lapsed is past its own timed wake), never
     * shortening another waiter's registration. The token is {@code max(counter + 1, server TIME in
     * µs)}, stored back as the counter: so every token is at most the server's clock at its grant
     * (unless one name is granted more than once a microsecond), and a counter restored from an
     * older snapshot, lost, or behind on a promoted replica cannot repeat or undercut an earlier
     * token while the server's clock does not step back. The counter is written with {@code SET ...
     * GET}, which reads the previous value in the same command.
     */
    ACQUIRE("""
            if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              local now = redis.call('time')
              local micros = now[1] .. string.format('%06d', tonumber(now[2]))
              local last = tonumber(redis.call('set', KEYS[2], micros, 'GET') or '')
              if last and last >= tonumber(micros) then
                redis.call('set', KEYS[2], string.format('%.0f', last + 1))
                return {1, last + 1}
              end
              return {1, tonumber(micros)}
            end
            local pttl = redis.call('pttl', KEYS[1])
            if ARGV[3] == '1' then
              local keep = math.max(pttl, 0) + 5000
              if redis.call('pttl', KEYS[3]) < keep then
                redis.call('set', KEYS[3], '', 'PX', keep)
              end
            end
            return {0, pttl}
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
     * One keep-alive of a {@link RedisSession}: KEYS are lock keys, ARGV[1] their common ttl in ms,
     * ARGV[i + 1] the owner of KEYS[i]. Extends each key still held by its owner, leaves the others
     * alone, and returns only those: a flat list of {index, code} pairs (code 0: another owner holds
     * it, -1: gone), empty when every key was extended, so a large batch costs a tiny reply.
     */
    REFRESH_SESSION("""
            local failed = {}
            for i = 1, #KEYS do
              local owner = redis.call('get', KEYS[i])
              if owner == ARGV[i + 1] then
                redis.call('pexpire', KEYS[i], ARGV[1])
              else
                failed[#failed + 1] = i
                failed[#failed + 1] = owner and 0 or -1
              end
            end
            return failed
            """),
    /**
     * KEYS: lock, waiters. ARGV: owner, release channel. Deletes the key only while it is still
     * ours, and publishes on the channel only when a waiter registered since the last release (the
     * same {@code DEL} removes the registrations: every waiter woken tries again, and registers
     * again if it fails). Returns 1 when deleted, 0 otherwise.
     */
    RELEASE("""
            if redis.call('get', KEYS[1]) == ARGV[1] then
              if redis.call('del', KEYS[1], KEYS[2]) > 1 then
                redis.call('publish', ARGV[2], '')
              end
              return 1
            end
            return 0
            """),
    /**
     * KEYS: lock, waiters. For a waiter that subscribed after its failed attempt: returns the lock
     * key's pttl (-2 when free) and, when it is held, registers the waiter as {@link #ACQUIRE} does.
     */
    PROBE("""
            local pttl = redis.call('pttl', KEYS[1])
            if pttl ~= -2 then
              local keep = math.max(pttl, 0) + 5000
              if redis.call('pttl', KEYS[2]) < keep then
                redis.call('set', KEYS[2], '', 'PX', keep)
              end
            end
            return pttl
            """),
    /** Read-only. Returns {owner or false, pttl, counter or false}. */
    INSPECT("""
            return {redis.call('get', KEYS[1]), redis.call('pttl', KEYS[1]), redis.call('get', KEYS[2])}
            """);

    private final String body;
    private final String sha;
    // Encoded once: every call sends one of them as its first argument.
    private final byte[] bodyBytes;
    private final byte[] shaBytes;

    Scripts(String body) {
        this.body = body;
        this.sha = sha1(body);
        this.bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        this.shaBytes = sha.getBytes(StandardCharsets.US_ASCII);
    }

    String body() {
        return body;
    }

    String sha() {
        return sha;
    }

    /** The body in UTF-8 (not a copy: never modify it). */
    byte[] bodyBytes() {
        return bodyBytes;
    }

    /** The SHA-1 digest in hex, in ASCII (not a copy: never modify it). */
    byte[] shaBytes() {
        return shaBytes;
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
