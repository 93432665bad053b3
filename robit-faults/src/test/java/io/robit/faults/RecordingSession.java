package io.robit.faults;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.spi.AsyncLeaseSession;
import io.robit.spi.LeaseSession;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A driver's {@link LeaseSession} as the core sees it through {@link RecordingDriver}: each
 * keep-alive is recorded ({@code sref}: session, sent, answered, outcome, and the guarantee the
 * core was told), so the checker can extend the holds on the session as the core does. With
 * {@link Broken#HIDE_LOSS} every keep-alive is dropped and the session's loss is never told; with
 * {@link Broken#HALVE_TTL} the core is told twice what the backend guarantees (the backend got half
 * the ttl at each acquire). The {@link Async} form keeps a driver's {@link AsyncLeaseSession}
 * capability visible. Thread-safe as the wrapped session is.
 */
class RecordingSession implements LeaseSession {
    final String id;
    final LeaseSession inner;
    private final History history;
    private final String worker;
    final Broken broken;
    private final CompletableFuture<Void> neverLost = new CompletableFuture<>();

    RecordingSession(String id, LeaseSession inner, History history, String worker, Broken broken) {
        this.id = id;
        this.inner = inner;
        this.history = history;
        this.worker = worker;
        this.broken = broken;
    }

    /** The recording view of {@code inner}: asynchronous when it is. */
    static RecordingSession of(String id, LeaseSession inner, History history, String worker, Broken broken) {
        return inner instanceof AsyncLeaseSession async ? new Async(id, async, history, worker, broken)
                : new RecordingSession(id, inner, history, worker, broken);
    }

    @Override
    public Duration keepAlive(Duration timeout) throws InterruptedException {
        long sent = System.nanoTime();
        String outcome = "err";
        Duration told = null;
        try {
            if (broken == Broken.HIDE_LOSS) {
                throw dropped();
            }
            told = claimed(inner.keepAlive(timeout));
            outcome = "ok";
            return told;
        } catch (LockLostException e) {
            outcome = "lost";
            throw broken == Broken.HIDE_LOSS ? hidden(e) : e;
        } catch (InterruptedException e) {
            outcome = "interrupted";
            throw e;
        } finally {
            record(sent, outcome, told);
        }
    }

    @Override
    public CompletableFuture<Void> lost() {
        return broken == Broken.HIDE_LOSS ? neverLost : inner.lost();
    }

    @Override
    public String toString() {
        return "RecordingSession[" + id + ": " + inner + "]";
    }

    // What the core is told the backend guarantees.
    Duration claimed(Duration guaranteed) {
        return broken == Broken.HALVE_TTL && guaranteed != null ? guaranteed.multipliedBy(2) : guaranteed;
    }

    void record(long sent, String outcome, Duration told) {
        history.record("w", worker, "e", "sref", "session", id, "sent", sent, "t", System.nanoTime(), "outcome", outcome,
                "guaranteedNs", told == null ? 0 : told.toNanos());
    }

    DriverException dropped() {
        return new DriverException("negative control: keep-alive of session " + id + " dropped", null);
    }

    DriverException hidden(LockLostException loss) {
        return new DriverException("negative control: the loss of session " + id + " is hidden", loss);
    }

    /** Keeps a driver's {@link AsyncLeaseSession} capability visible, recording each keep-alive when it completes. */
    static final class Async extends RecordingSession implements AsyncLeaseSession {
        private final AsyncLeaseSession async;

        Async(String id, AsyncLeaseSession inner, History history, String worker, Broken broken) {
            super(id, inner, history, worker, broken);
            this.async = inner;
        }

        @Override
        public CompletableFuture<Duration> keepAliveAsync(Duration timeout) {
            long sent = System.nanoTime();
            if (broken == Broken.HIDE_LOSS) {
                record(sent, "err", null);
                return CompletableFuture.failedFuture(dropped());
            }
            CompletableFuture<Duration> started;
            try {
                started = async.keepAliveAsync(timeout);
            } catch (RuntimeException | Error e) {
                record(sent, "err", null);
                throw e;
            }
            CompletableFuture<Duration> result = new CompletableFuture<>();
            started.whenComplete((guaranteed, error) -> {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                Duration told = cause == null ? claimed(guaranteed) : null;
                record(sent, cause == null ? "ok" : cause instanceof LockLostException ? "lost" : "err", told);
                if (cause == null) {
                    result.complete(told);
                } else {
                    result.completeExceptionally(error);
                }
            });
            return result;
        }
    }
}
