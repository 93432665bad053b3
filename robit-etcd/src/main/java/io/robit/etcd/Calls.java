package io.robit.etcd;

import io.robit.DriverException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for jetcd's futures within a deadline and turns their failures into
 * {@link DriverException}s that name the endpoints, the lock and the operation. Immutable.
 */
final class Calls {
    private final String backend;

    /** @param backend how failures name the backend, e.g. {@code "etcd 127.0.0.1:2379"} */
    Calls(String backend) {
        this.backend = backend;
    }

    String backend() {
        return backend;
    }

    /**
     * The result of {@code future}, waiting until {@code deadlineNanos} ({@link System#nanoTime()}).
     *
     * @throws DriverException the call failed or did not finish in time
     */
    <T> T await(CompletableFuture<T> future, long deadlineNanos, String lockId, String operation) throws InterruptedException {
        try {
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw failure(lockId, operation, new TimeoutException("no answer from " + backend + " in time (unreachable, or no leader?)"));
        } catch (ExecutionException e) {
            throw failure(lockId, operation, unwrap(e));
        }
    }

    /**
     * {@link #await}, but an interrupt does not cut the wait short: for requests already sent whose
     * answer matters (a release). The thread's interrupt flag is set again before returning.
     */
    <T> T awaitUninterruptibly(CompletableFuture<T> future, long deadlineNanos, String lockId, String operation) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return await(future, deadlineNanos, lockId, operation);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    DriverException failure(String lockId, String operation, Throwable cause) {
        return new DriverException(backend, lockId, operation, cause);
    }

    /** Whether {@code error} is etcd saying a lease does not exist (expired or revoked). */
    static boolean isLeaseNotFound(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.toLowerCase(Locale.ROOT).contains("requested lease not found")) {
                return true;
            }
        }
        return false;
    }

    static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof ExecutionException || current instanceof CompletionException || current instanceof CancellationException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
