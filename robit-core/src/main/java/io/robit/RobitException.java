package io.robit;

import io.robit.spi.Secrets;

/**
 * Base of every exception Robit throws. All are unchecked.
 *
 * <p>Each carries the id of the lock it concerns, rendered as a string, when one is known.
 */
public class RobitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The lock this exception is about, as a string; null when unknown. */
    private final String lockId;

    /**
     * Creates the exception; a password in {@code message} (a {@code scheme://user:password@} URI, a
     * {@code password=} parameter) is masked, as {@link io.robit.spi.Secrets#redact} does.
     *
     * @param lockId the lock this is about, or {@code null} when there is none
     * @param message what happened, naming the lock
     * @param cause the underlying failure, or {@code null}
     */
    protected RobitException(Object lockId, String message, Throwable cause) {
        super(Secrets.redact(message), cause);
        this.lockId = lockId == null ? null : String.valueOf(lockId);
    }

    /** {@return the id of the lock this exception is about, as a string; {@code null} when unknown} */
    public String lockId() {
        return lockId;
    }
}
