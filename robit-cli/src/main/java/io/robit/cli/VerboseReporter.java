package io.robit.cli;

import io.robit.Mutex;
import io.robit.MutexListener;
import io.robit.spi.Secrets;
import java.io.PrintStream;
import java.time.Duration;

/**
 * {@code robit run --verbose}: renewal trouble, one {@code robit: ...} line per event, like the
 * command's other lines. Acquisition, release and loss are reported by {@link RunCommand} itself, once.
 * Runs on Robit's worker threads; {@link PrintStream} is thread-safe.
 */
final class VerboseReporter implements MutexListener {
    private final PrintStream err;

    VerboseReporter(PrintStream err) {
        this.err = err;
    }

    @Override
    public void renewFailed(Mutex<?> mutex, Throwable error, Duration untilDeadline) {
        err.println(Secrets.redact("robit: renewal of lock '" + mutex.id() + "' failed (" + Robit.oneLine(describe(error)) + "); "
                + Durations.format(untilDeadline.isNegative() ? Duration.ZERO : untilDeadline) + " left before the lease may be lost"));
    }

    private static String describe(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
    }
}
