package io.robit.spring;

import io.robit.Mutex;
import io.robit.MutexListener;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Makes {@link Mutex}es on the application's lock backend with the {@code robit.*} defaults (ttl,
 * renew period, drift margin) and the application's {@link MutexListener} beans (such as the
 * metrics). A {@code Mutex} holds its lock at most once: make one per holder, for example one per
 * call, and never share one between threads that compete for the lock. Thread-safe.
 */
public final class RobitMutexes {
    private final Driver<String> driver;
    private final Duration ttl;
    private final Duration renewPeriod;
    private final Duration driftMargin;
    private final List<MutexListener> listeners;

    /**
     * @param driver the backend
     * @param ttl the default lease length
     * @param renewPeriod the default renew period, or null for a third of each mutex's ttl
     * @param driftMargin the default drift margin, or null for Robit's default
     * @param listeners added to every mutex
     */
    public RobitMutexes(Driver<String> driver, Duration ttl, Duration renewPeriod, Duration driftMargin, List<MutexListener> listeners) {
        this.driver = Objects.requireNonNull(driver, "driver must not be null");
        this.ttl = Objects.requireNonNull(ttl, "ttl must not be null");
        this.renewPeriod = renewPeriod;
        this.driftMargin = driftMargin;
        this.listeners = List.copyOf(listeners);
        // Fail at startup, not at the first lock, when the defaults do not fit together.
        builder("robit-settings-check").build();
    }

    /** A new mutex on {@code name} with the default ttl. */
    public Mutex<String> mutex(String name) {
        return builder(name).build();
    }

    /** A new mutex on {@code name} with {@code ttl}. */
    public Mutex<String> mutex(String name, Duration ttl) {
        return builder(name, ttl).build();
    }

    /** A builder with the defaults applied, for options of your own ({@code onLost}, a logger, ...). */
    public Mutex.Builder<String> builder(String name) {
        return builder(name, ttl);
    }

    /**
     * A builder for {@code name} and {@code ttl} with the other defaults applied. A
     * {@code robit.renew-period} or {@code robit.drift-margin} that does not fit {@code ttl} makes
     * {@link Mutex.Builder#build()} fail with a message saying so.
     */
    public Mutex.Builder<String> builder(String name, Duration ttl) {
        Mutex.Builder<String> builder = Mutex.builder(name, ttl, driver);
        if (renewPeriod != null) {
            builder.renewPeriod(renewPeriod);
        }
        if (driftMargin != null) {
            builder.driftMargin(driftMargin);
        }
        listeners.forEach(builder::listener);
        return builder;
    }

    /** The backend. */
    public Driver<String> driver() {
        return driver;
    }

    /** The default lease length ({@code robit.ttl}). */
    public Duration ttl() {
        return ttl;
    }
}
