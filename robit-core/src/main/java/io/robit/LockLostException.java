package io.robit;

import java.util.Objects;

/**
 * A hold of a lock has been lost: the backend no longer has it as ours, or no renewal succeeded
 * before the local deadline.
 *
 * <p>Thrown by {@link io.robit.spi.Lease#refresh} when the backend says the lease is gone, and by
 * {@link Mutex#withLock} when the lock was lost while the work ran.
 */
public final class LockLostException extends RobitException {
    private static final long serialVersionUID = 1L;

    /** Why the hold was lost. */
    private final LossReason reason;

    /**
     * @param lockId the lock that was lost
     * @param reason why it was lost
     * @param detail a short explanation, e.g. "key is owned by another client"
     */
    public LockLostException(Object lockId, LossReason reason, String detail) {
        this(lockId, reason, detail, null);
    }

    /**
     * @param lockId the lock that was lost
     * @param reason why it was lost
     * @param detail a short explanation
     * @param cause what caused it, or {@code null}
     */
    public LockLostException(Object lockId, LossReason reason, String detail, Throwable cause) {
        super(lockId, "lock '" + lockId + "' was lost (" + Objects.requireNonNull(reason, "reason") + "): " + detail, cause);
        this.reason = reason;
    }

    /** {@return why the hold was lost} */
    public LossReason reason() {
        return reason;
    }
}
