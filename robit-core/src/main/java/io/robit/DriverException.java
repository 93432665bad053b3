package io.robit;

/**
 * The backend failed: it could not be reached, timed out, or answered with an error. The
 * message names the backend, the lock and the operation; the cause is kept.
 *
 * <p>Contention is never a {@code DriverException}: a lock held by someone else is an empty
 * {@link java.util.Optional}.
 */
public class DriverException extends RobitException {
    private static final long serialVersionUID = 1L;

    /**
     * The constructor drivers use when they compose the message themselves.
     *
     * @param message names the backend, the lock and the operation
     * @param cause the underlying failure
     */
    public DriverException(String message, Throwable cause) {
        super(null, message, cause);
    }

    /**
     * Composes a message of the form {@code "redis 127.0.0.1:6379: refresh of lock 'orders' failed: <cause>"}.
     *
     * @param backend the backend and where it is, e.g. {@code "redis 127.0.0.1:6379"}
     * @param lockId the lock concerned
     * @param operation what was being done, e.g. {@code "acquire"}
     * @param cause the underlying failure
     */
    public DriverException(String backend, Object lockId, String operation, Throwable cause) {
        super(lockId, backend + ": " + operation + " of lock '" + lockId + "' failed: " + describe(cause), cause);
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "no cause given";
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getName() : cause.getClass().getSimpleName() + ": " + message;
    }
}
