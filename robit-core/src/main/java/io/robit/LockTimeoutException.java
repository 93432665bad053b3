package io.robit;

import java.time.Duration;

/** {@link Mutex#withLock} waited as long as it was allowed to and did not get the lock. */
public final class LockTimeoutException extends RobitException {
    private static final long serialVersionUID = 1L;

    /**
     * @param lockId the lock that could not be acquired
     * @param waited how long the caller was prepared to wait
     */
    public LockTimeoutException(Object lockId, Duration waited) {
        super(lockId, "lock '" + lockId + "' was not acquired within " + waited, null);
    }
}
