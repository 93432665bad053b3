package io.robit;

/**
 * A source of monotonic nanoseconds, like {@link System#nanoTime()}. Replaceable so expiry logic
 * can be tested without sleeping. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {
    /** {@return nanoseconds from an arbitrary, fixed origin; only differences are meaningful} */
    long read();

    /** {@return the ticker backed by {@link System#nanoTime()}} */
    static Ticker system() {
        return System::nanoTime;
    }
}
