package io.robit;

/**
 * {@link Mutex#unlock()} was called on a mutex that does not hold its lock: it was never locked,
 * was already unlocked, or the hold was lost (the seed's {@code ErrAlreadyReleased}).
 */
public final class AlreadyReleasedException extends RobitException {
    private static final long serialVersionUID = 1L;

    /**
     * @param lockId the lock that is not held
     * @param detail why, in a few words
     */
    public AlreadyReleasedException(Object lockId, String detail) {
        super(lockId, "lock '" + lockId + "' is not held: " + detail, null);
    }
}
