package io.robit;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One hold of a lock, from a successful {@link Mutex#tryLock()} or {@link Mutex#lock()} until it
 * is unlocked or lost. Closing it unlocks: {@code try (Held h = mutex.lock()) { ... }}.
 *
 * <p>Thread-safe.
 */
public interface Held extends AutoCloseable {
    /**
     * The fencing token of this hold: strictly greater than the token of every earlier hold of
     * the same lock name on the same backend. Pass it to the resource you protect, and have the
     * resource refuse a write whose token is lower than one it has already seen.
     *
     * @return the fencing token of this hold
     */
    long fencingToken();

    /** {@return wall-clock time at which this hold was acquired} */
    Instant acquiredAt();

    /**
     * Whether this hold has been lost. True from the moment the backend reported it gone or
     * the local deadline passed without a successful renewal; false after a voluntary unlock.
     *
     * @return whether this hold has been lost
     */
    boolean isLost();

    /** {@return why this hold was lost; empty while it is held or after a voluntary unlock} */
    Optional<LossReason> lossReason();

    /**
     * Completes (normally) when this hold is lost; never completes on a voluntary unlock. A new
     * copy on each call: completing it does not affect the hold. Callbacks attached before the
     * loss run on a Robit notifier thread shared with {@code onLost} listeners: give slow work
     * an executor of your own.
     *
     * @return a new future that completes when this hold is lost
     */
    CompletableFuture<Void> lost();

    /** Unlocks if this hold is still held; quiet if it was already released or lost. */
    @Override
    void close();
}
