package io.robit;

import java.time.Duration;

/**
 * Told of every step of a {@link LeaderElection}, for metrics: register with
 * {@link LeaderElection.Builder#listener}. Every method has an empty default. Methods run on the
 * thread where the event happens and must be quick; one that throws is logged and changes nothing.
 */
public interface ElectionListener {
    /**
     * This candidate won {@code term}.
     *
     * @param election the election the event is about
     * @param term the leadership term (its fencing token)
     */
    default void elected(LeaderElection<?> election, long term) {
    }

    /**
     * This candidate's {@code term} was lost after {@code heldFor}; {@code loss} says why.
     *
     * @param election the election the event is about
     * @param term the leadership term (its fencing token)
     * @param heldFor how long the leadership lasted
     * @param loss why and when the hold was lost
     */
    default void revoked(LeaderElection<?> election, long term, Duration heldFor, Loss loss) {
    }

    /**
     * This candidate gave up {@code term} after {@code heldFor}: it resigned or its election was closed.
     *
     * @param election the election the event is about
     * @param term the leadership term (its fencing token)
     * @param heldFor how long the leadership lasted
     */
    default void resigned(LeaderElection<?> election, long term, Duration heldFor) {
    }
}
