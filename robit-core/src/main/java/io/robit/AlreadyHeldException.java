package io.robit;

/**
 * A {@link Mutex} was asked to lock while it already holds its lock, or while another thread's
 * lock call on it is in progress. Robit mutexes are not reentrant (the seed's {@code ErrAlreadyHeld}).
 */
public final class AlreadyHeldException extends RobitException {
    private static final long serialVersionUID = 1L;

    /** @param lockId the lock that is already held */
    public AlreadyHeldException(Object lockId) {
        super(lockId, "lock '" + lockId + "' is already held (or being acquired) by this Mutex; Robit mutexes are not reentrant", null);
    }
}
