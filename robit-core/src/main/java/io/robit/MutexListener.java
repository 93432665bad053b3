package io.robit;

import java.time.Duration;

/**
 * Told of every step in a mutex's life, for metrics and tracing: register with
 * {@link Mutex.Builder#listener}. Every method has an empty default; implement what you need.
 *
 * <p>Methods run synchronously on the thread where the event happens (the locking thread, or a
 * Robit worker for renewals and losses), so they must be quick and must not block. One that throws
 * is logged and changes nothing else. With no listener registered, no event is built at all.
 *
 * <p>For one hold the order is: {@code acquireStarted}, {@code acquired}, any number of
 * {@code renewed}/{@code renewFailed}, then exactly one of {@code released} or {@code lost}.
 */
public interface MutexListener {

    /**
     * A lock call ({@code tryLock}, {@code lock}, {@code withLock}) began.
     *
     * @param mutex the mutex the event is about
     */
    default void acquireStarted(Mutex<?> mutex) {
    }

    /**
     * The lock was acquired.
     *
     * @param fencingToken the new hold's token
     * @param waited time from the start of the lock call until it was acquired
     * @param mutex the mutex the event is about
     */
    default void acquired(Mutex<?> mutex, long fencingToken, Duration waited) {
    }

    /**
     * A lock call ended without the lock.
     *
     * @param outcome why
     * @param waited time spent in the lock call
     * @param error the failure, for {@link AcquireOutcome#ERROR}; otherwise {@code null}
     * @param mutex the mutex the event is about
     */
    default void acquireFailed(Mutex<?> mutex, AcquireOutcome outcome, Duration waited, Throwable error) {
    }

    /**
     * A renewal succeeded.
     *
     * @param latency how long the refresh request took
     * @param untilDeadline time left before the (new) local deadline
     * @param mutex the mutex the event is about
     */
    default void renewed(Mutex<?> mutex, Duration latency, Duration untilDeadline) {
    }

    /**
     * A renewal failed or timed out. The hold is kept until the local deadline.
     *
     * @param error what went wrong
     * @param untilDeadline time left before the local deadline
     * @param mutex the mutex the event is about
     */
    default void renewFailed(Mutex<?> mutex, Throwable error, Duration untilDeadline) {
    }

    /**
     * The hold ended by a voluntary unlock.
     *
     * @param heldFor how long it was held
     * @param mutex the mutex the event is about
     */
    default void released(Mutex<?> mutex, Duration heldFor) {
    }

    /**
     * The hold was lost; {@code loss} says why and for how long it was held.
     *
     * @param mutex the mutex the event is about
     * @param loss why and when the hold was lost
     */
    default void lost(Mutex<?> mutex, Loss loss) {
    }
}
