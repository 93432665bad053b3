package io.robit.redis;

/**
 * For robit-bench's floors only: what they must send exactly as the Redis driver sends it, read
 * from the driver so that the two cannot drift apart. It sits in the driver's package, but in the
 * bench module (never in the driver's jar), to reach the package-private scripts without widening
 * the driver's API.
 */
public final class FloorScripts {
    private FloorScripts() {
    }

    /** The body of the driver's session keep-alive script ({@link Scripts#REFRESH_SESSION}). */
    public static String refreshSession() {
        return Scripts.REFRESH_SESSION.body();
    }

    /** How many keys the driver renews per script call ({@link RedisSession#MAX_BATCH}). */
    public static int renewalBatch() {
        return RedisSession.MAX_BATCH;
    }
}
