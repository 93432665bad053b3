package io.robit.internal;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Random pauses that keep contending callers from retrying in step. One shared generator: callers
 * pause for tens of milliseconds, so its contention is negligible, and no state is tied to a thread.
 * Thread-safe. Not API.
 */
public final class Jitter {
    private static final Random RANDOM = new Random();

    private Jitter() {
    }

    /** A duration in nanoseconds drawn uniformly from [{@code minMillis}, {@code maxMillis}). */
    public static long nanosBetween(long minMillis, long maxMillis) {
        long min = TimeUnit.MILLISECONDS.toNanos(minMillis);
        long max = TimeUnit.MILLISECONDS.toNanos(maxMillis);
        return min + (long) (RANDOM.nextDouble() * (max - min));
    }
}
