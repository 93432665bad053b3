package io.robit;

import io.robit.spi.Secrets;

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

    /**
     * The cause's class and the first line of its message, and its root cause when that says
     * something the cause does not (a TLS handshake or an authentication refusal is often three
     * causes deep), with anything that looks like a password masked.
     */
    private static String describe(Throwable cause) {
        if (cause == null) {
            return "no cause given";
        }
        String top = oneLine(cause);
        Throwable root = cause;
        for (int depth = 0; depth < 20 && root.getCause() != null && root.getCause() != root; depth++) {
            root = root.getCause();
        }
        String rootMessage = root.getMessage() == null ? null : firstLine(root.getMessage());
        if (root != cause && rootMessage != null && !rootMessage.isBlank() && !top.contains(rootMessage)) {
            top = top + " (root cause: " + oneLine(root) + ")";
        }
        return Secrets.redact(top);
    }

    private static String oneLine(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getName() : error.getClass().getSimpleName() + ": " + firstLine(message);
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).strip();
    }
}
