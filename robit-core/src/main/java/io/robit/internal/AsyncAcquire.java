package io.robit.internal;

import io.robit.AcquireOutcome;
import io.robit.Held;
import io.robit.spi.Contention;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One asynchronous lock call ({@code Mutex.lockAsync}/{@code tryLockAsync}): attempts on the
 * bounded pool of {@link AsyncWaits} through the call's {@link Contention}, waits through its
 * {@link Contention#awaitReleaseAsync} in between, so no thread is parked while it waits.
 * Thread-safe. Not API.
 *
 * <p>The contention's calls come from several threads (pool threads, the thread that completes a
 * wait, the caller cancelling); {@link #phase} orders them: each transition is a volatile write
 * that the next user of the contention reads, and only the owner of the current phase touches the
 * contention. It is closed exactly once, on whichever path ends the call, before the claim is given
 * back and before the caller's future completes.
 *
 * <p>The caller's future may be cancelled (or completed by its holder) at any moment. Then the
 * call stops: at once if it is waiting, or after the attempt in flight returns; a lease that attempt
 * got is released, never left held. The mutex's claim is given back only when no attempt is in
 * flight, so a later lock call can never race an attempt of this one.
 *
 * @param <T> what the caller's future completes with
 */
public final class AsyncAcquire<T> {
    private static final int ATTEMPTING = 0;
    private static final int WAITING = 1;
    private static final int ENDED = 2;

    /** One acquire attempt of the mutex through the call's contention; the mutex is claimed by this call. */
    public interface Attempt {
        Optional<Held> attempt() throws InterruptedException;

        /** How long to wait before the next attempt instead of the driver's wait (0: use the driver's). */
        default long backoffNanos() {
            return 0;
        }

        /** Closes the call's contention; called exactly once, never throws. */
        void close();
    }

    /** Ends the call without a hold: records {@code outcome} (when not null) and gives the claim back. */
    @FunctionalInterface
    public interface Ending {
        void end(AcquireOutcome outcome, Throwable error);
    }

    private final MutexSettings<?> settings;
    private final long deadlineNanos;
    private final boolean forever;
    private final Contention contention;
    private final Attempt attempt;
    private final Ending ending;
    private final Function<Held, T> granted;
    private final T timedOut;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final AtomicInteger phase = new AtomicInteger(ATTEMPTING);
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile CompletableFuture<Void> pendingWait;

    private AsyncAcquire(MutexSettings<?> settings, long deadlineNanos, boolean forever, Contention contention, Attempt attempt,
                         Ending ending, Function<Held, T> granted, T timedOut) {
        this.settings = settings;
        this.deadlineNanos = deadlineNanos;
        this.forever = forever;
        this.contention = contention;
        this.attempt = attempt;
        this.ending = ending;
        this.granted = granted;
        this.timedOut = timedOut;
    }

    /**
     * Starts the call; the mutex must already be claimed for it.
     *
     * @param startNanos ticker reading when the lock call began
     * @param waitNanos the longest to wait, or {@code forever}
     * @param contention this call's contention, opened for it; the call closes it through {@code attempt}
     * @param granted maps a hold to the caller's value
     * @param timedOut the caller's value when the wait runs out
     */
    public static <T> CompletableFuture<T> start(MutexSettings<?> settings, long startNanos, long waitNanos, boolean forever,
                                                 Contention contention, Attempt attempt, Ending ending,
                                                 Function<Held, T> granted, T timedOut) {
        AsyncAcquire<T> call = new AsyncAcquire<>(settings, startNanos + waitNanos, forever, contention, attempt, ending,
                granted, timedOut);
        call.result.whenComplete((value, error) -> call.stopWaiting());
        AsyncWaits.pool().execute(call::step);
        return call.result;
    }

    private void step() {
        run(false);
    }

    /**
     * One pool task: up to two turns of (wait, attempt). A wait that the driver ran inline on this
     * thread (a blocking {@code awaitRelease} through the default {@code awaitReleaseAsync}) is
     * followed by the next attempt on the same thread, which saves a hop through the pool queue (and
     * suits drivers that still hand state from a wait to the next acquire of the thread instead of
     * keeping it in their contention); a task ends after an attempt, so one waiter holds a pool
     * thread for at most two waits.
     */
    private void run(boolean waitFirst) {
        Thread.interrupted(); // a pool thread carries no interrupt from an earlier task
        boolean waitNow = waitFirst;
        for (int turn = 0; turn < 2; turn++) {
            if (waitNow && !waitedInline()) {
                return;
            }
            if (!attemptFailed()) {
                return;
            }
            waitNow = true;
        }
        AsyncWaits.pool().execute(() -> run(true)); // still ATTEMPTING: a cancel meanwhile is seen there
    }

    /** One attempt; true if it failed and the call goes on waiting, false if the call ended. */
    private boolean attemptFailed() {
        if (result.isDone()) {
            if (phase.compareAndSet(ATTEMPTING, ENDED)) {
                closeContention();
                ending.end(AcquireOutcome.CANCELLED, null);
            }
            return false;
        }
        Optional<Held> held;
        try {
            held = attempt.attempt();
        } catch (InterruptedException e) {
            fail(AcquireOutcome.INTERRUPTED, e);
            return false;
        } catch (RuntimeException | Error e) {
            fail(AcquireOutcome.ERROR, e);
            return false;
        }
        if (held.isPresent()) {
            phase.set(ENDED);
            closeContention();
            if (!result.complete(granted.apply(held.get()))) {
                // The caller stopped waiting while this attempt was in flight: give the lock back.
                held.get().close();
            }
            return false;
        }
        return !endedWhileAttempting();
    }

    /** Ends the call if it was cancelled or its wait ran out; true if it did. */
    private boolean endedWhileAttempting() {
        if (result.isDone()) {
            phase.set(ENDED);
            closeContention();
            ending.end(AcquireOutcome.CANCELLED, null);
            return true;
        }
        if (left() <= 0) {
            phase.set(ENDED);
            closeContention();
            ending.end(AcquireOutcome.TIMEOUT, null);
            result.complete(timedOut);
            return true;
        }
        return false;
    }

    /**
     * Starts the wait before the next attempt. True if it already completed on this thread (the
     * attempt follows here); false if the call ended or a continuation will make the next attempt.
     */
    private boolean waitedInline() {
        if (endedWhileAttempting()) {
            return false;
        }
        CompletableFuture<Void> wait;
        try {
            long backoff = attempt.backoffNanos();
            wait = backoff > 0 ? AsyncWaits.after(Math.min(left(), backoff)) : contention.awaitReleaseAsync(Duration.ofNanos(left()));
        } catch (RuntimeException e) {
            wait = AsyncWaits.after(0); // the next attempt reports a real failure
        }
        if (wait.isDone()) {
            return true;
        }
        pendingWait = wait;
        phase.set(WAITING);
        if (result.isDone()) {
            stopWaiting();
        }
        wait.whenComplete((ignored, error) -> {
            if (phase.compareAndSet(WAITING, ATTEMPTING)) {
                AsyncWaits.pool().execute(this::step);
            }
        });
        return false;
    }

    private long left() {
        return forever ? Long.MAX_VALUE / 4 : deadlineNanos - settings.ticker().read();
    }

    /** The caller's future is done: if waiting, end now; if attempting, the attempt's step ends it. */
    private void stopWaiting() {
        if (phase.compareAndSet(WAITING, ENDED)) {
            // Cancel the driver's wait first so it forgets the waiter, then close what is left.
            CompletableFuture<Void> wait = pendingWait;
            if (wait != null) {
                wait.cancel(false);
            }
            closeContention();
            ending.end(AcquireOutcome.CANCELLED, null);
        }
    }

    /** Exactly once: the phases already make each ending path exclusive; the flag keeps it so. */
    private void closeContention() {
        if (closed.compareAndSet(false, true)) {
            attempt.close();
        }
    }

    private void fail(AcquireOutcome outcome, Throwable error) {
        phase.set(ENDED);
        closeContention();
        ending.end(outcome, error);
        result.completeExceptionally(error);
    }
}
