package io.robit;

/**
 * One term of leadership won by a {@link LeaderElection}: a {@link Held} whose fencing token is
 * the term. Terms of one election name on one backend strictly grow, so a resource the leader
 * writes to can refuse a deposed leader by comparing terms.
 *
 * <p>{@link #lost()} completes when leadership is lost (never on resignation). {@link #close()}
 * resigns: the lock is released (not a loss, so no {@code onRevoked}) and the candidate campaigns
 * again; to stop campaigning, close the election instead. Thread-safe.
 */
public interface Leadership extends Held {
    /** {@return the term of this leadership: equal to {@link #fencingToken()}} */
    long term();

    /** Resigns this term (quiet if it already ended); the candidate campaigns again unless its election is closed. */
    @Override
    void close();
}
