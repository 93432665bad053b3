package io.robit.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a backend says about one lock, for operators ({@code robit status}, {@code robit list}).
 * A snapshot: it may be stale by the time it is read.
 *
 * @param name the lock name
 * @param owner a description of the current holder, empty when free: {@code pid@host/detail}, the
 *     process id and host of the holder, then what the backend adds to tell its holds apart (the
 *     {@code robit} command shows it as {@code pid@host (detail)}); older holders may differ
 * @param fencingToken the token of the current (or, when free, the last) hold; 0 when never held
 * @param since when the current hold was acquired, where the backend records it
 * @param expiresIn how long until the current lease expires unless renewed, by the backend's clock
 */
public record LockInfo(String name, Optional<String> owner, long fencingToken, Optional<Instant> since, Optional<Duration> expiresIn) {
    /**
     * Checks the components.
     *
     * @param name the lock name
     * @param owner an opaque description of the current holder; empty when free
     * @param fencingToken the token of the current (or, when free, the last) hold; 0 when never held
     * @param since when the current hold was acquired, where the backend records it
     * @param expiresIn how long until the current lease expires unless renewed, by the backend's clock
     */
    public LockInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(expiresIn, "expiresIn");
    }

    /** {@return whether someone holds the lock} */
    public boolean held() {
        return owner.isPresent();
    }
}
