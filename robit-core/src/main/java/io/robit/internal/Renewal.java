package io.robit.internal;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.AsyncLease;
import io.robit.spi.Lease;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What keeps one {@link Hold} alive: the renewal timer, the refresh requests (on the refresh executor, or
 * asynchronously for an {@link AsyncLease}), their watchdogs, and the check of the local deadline.
 * Timed on the mutex's scheduler ({@link MutexSettings#scheduler()}). It only tells the hold what
 * happened (renewed, failed, lost); the hold owns the state. Thread-safe. Not API.
 */
final class Renewal implements HoldKeeper {
    private static final long MIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Hold<?> hold;
    private final MutexSettings<?> settings;
    private final Lease lease;
    private final ScheduledExecutorService scheduler;
    private final long periodNanos;
    private volatile Throwable lastError;

    // Guards the scheduled tasks below; never held across I/O.
    private final ReentrantLock timers = new ReentrantLock();
    private ScheduledFuture<?> renewTask;
    private ScheduledFuture<?> deadlineTask;
    private Future<?> inflight; // a FutureTask (blocking refresh) or CompletableFuture (async)
    private ScheduledFuture<?> watchdog;
    // Held while a refresh request runs, so a release can wait for it to stop.
    private final ReentrantLock refreshing = new ReentrantLock();

    Renewal(Hold<?> hold, MutexSettings<?> settings, Lease lease, long periodNanos) {
        this.hold = hold;
        this.settings = settings;
        this.lease = lease;
        this.scheduler = settings.scheduler();
        this.periodNanos = periodNanos;
    }

    @Override
    public Throwable lastError() {
        return lastError;
    }

    /** Schedules the first renewal, counted from {@code sentNanos}, the acquire's send. */
    @Override
    public void start(long sentNanos) {
        long now = settings.ticker().read();
        timers.lock();
        try {
            // Counted from when the acquire was sent, like the deadline: a slow reply must not push
            // the first renewal (and with it the deadline check) past the deadline.
            long firstRenewal = Math.max(0, sentNanos + periodNanos - now);
            renewTask = scheduler.schedule(this::renewDue, firstRenewal, TimeUnit.NANOSECONDS);
            // Otherwise the deadline check is armed at the first renewal: that comes before the
            // deadline, and most holds end before it, so they never pay for a second timer.
            if (hold.deadlineNanos() - now <= firstRenewal) {
                scheduleDeadlineCheck();
            }
        } finally {
            timers.unlock();
        }
    }

    /** Cancels every timer and interrupts a blocking refresh in flight. */
    @Override
    public void stop() {
        timers.lock();
        try {
            if (renewTask != null) {
                renewTask.cancel(false);
            }
            if (deadlineTask != null) {
                deadlineTask.cancel(false);
            }
            if (inflight != null) {
                inflight.cancel(true);
            }
        } finally {
            timers.unlock();
        }
    }

    /** Waits at most renewTimeout for a refresh in flight to stop, whatever interrupts arrive; keeps the flag. */
    @Override
    public void awaitStopped() {
        long end = System.nanoTime() + settings.renewTimeout().toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (refreshing.tryLock(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        refreshing.unlock();
                    }
                    return;
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

    private void renewDue() {
        if (!hold.isRunning() || hold.expireIfDue()) {
            return;
        }
        if (lease instanceof AsyncLease async) {
            renewAsync(async);
            return;
        }
        FutureTask<Void> attempt = new RefreshAttempt();
        timers.lock();
        try {
            armDeadlineCheck();
            inflight = attempt;
            // The driver is asked to honour the timeout; this bounds it even if the driver does not.
            watchdog = scheduler.schedule(() -> attempt.cancel(true), settings.renewTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            timers.unlock();
        }
        try {
            settings.refreshExecutor().execute(attempt);
        } catch (RejectedExecutionException e) {
            attempt.cancel(false); // reported by done() as a refresh that did not start: failed, retried
        }
    }

    // Caller holds `timers`. See start(): the first renewal arms the deadline check.
    private void armDeadlineCheck() {
        if (deadlineTask == null && hold.isRunning()) {
            scheduleDeadlineCheck();
        }
    }

    /** Renews without a worker thread: the driver's future completes on its own thread. */
    private void renewAsync(AsyncLease async) {
        long sent = settings.ticker().read();
        CompletableFuture<Void> attempt = new CompletableFuture<>();
        ScheduledFuture<?> myWatchdog;
        timers.lock();
        try {
            armDeadlineCheck();
            inflight = attempt;
            myWatchdog = scheduler.schedule(
                    () -> attempt.completeExceptionally(new TimeoutException("renewal did not finish within renewTimeout " + settings.renewTimeout())),
                    settings.renewTimeout().toNanos(), TimeUnit.NANOSECONDS);
            watchdog = myWatchdog;
        } finally {
            timers.unlock();
        }
        attempt.whenComplete((ignored, error) -> {
            myWatchdog.cancel(false);
            if (hold.isRunning()) {
                refreshed(sent, Hold.unwrap(error));
            }
        });
        // Sent under `refreshing` (refreshAsync does not block), so a release that waits for it
        // knows no refresh is sent after it returns.
        refreshing.lock();
        try {
            if (!hold.isRunning()) {
                attempt.cancel(false);
                return;
            }
            async.refreshAsync(settings.ttl(), settings.renewTimeout()).whenComplete((ignored, error) -> {
                if (error == null) {
                    attempt.complete(null);
                } else {
                    attempt.completeExceptionally(error);
                }
            });
        } catch (RuntimeException | Error e) {
            attempt.completeExceptionally(e);
        } finally {
            refreshing.unlock();
        }
    }

    /**
     * One blocking refresh on the refresh executor (by default Robit's bounded worker pool), where
     * the attempt may wait in a queue; if the watchdog cancels it before it ran, that counts as a failed renewal (and a retry
     * is scheduled), as if the request had timed out.
     */
    private final class RefreshAttempt extends FutureTask<Void> {
        // Whoever sets it reports the outcome: the refresh when it starts, or done() when the
        // attempt was cancelled first. Exactly one of them, so exactly one renewal chain goes on.
        private final AtomicBoolean claimed;

        RefreshAttempt() {
            this(new AtomicBoolean());
        }

        private RefreshAttempt(AtomicBoolean claimed) {
            super(() -> {
                if (claimed.compareAndSet(false, true)) {
                    Renewal.this.refreshOnce();
                }
            }, null);
            this.claimed = claimed;
        }

        @Override
        protected void done() {
            if (isCancelled() && claimed.compareAndSet(false, true) && hold.isRunning()) {
                failed(new TimeoutException("renewal did not start within renewTimeout " + settings.renewTimeout()
                        + " (the refresh executor was busy or refused it)"));
            }
        }
    }

    private void refreshOnce() {
        ScheduledFuture<?> myWatchdog = currentWatchdog();
        refreshing.lock();
        try {
            // The attempt may have waited in the worker queue past the deadline: the lease may have
            // lapsed (and been granted to someone else) since, so it is not renewed but lost.
            if (!hold.isRunning() || hold.expireIfDue()) {
                return;
            }
            long sent = settings.ticker().read();
            Throwable error = null;
            try {
                lease.refresh(settings.ttl(), settings.renewTimeout());
            } catch (InterruptedException e) {
                Thread.interrupted();
                error = new TimeoutException("renewal did not finish within renewTimeout " + settings.renewTimeout());
            } catch (RuntimeException | Error e) {
                // An Error too (a client's NoClassDefFoundError, say): counted, logged and retried
                // like any failed renewal, rather than ending the renewals unseen.
                error = e;
            }
            myWatchdog.cancel(false);
            if (hold.isRunning()) {
                refreshed(sent, error);
            }
        } finally {
            refreshing.unlock();
        }
    }

    /** The outcome of one refresh request sent at {@code sentNanos}: renewed, lost, or failed. */
    private void refreshed(long sentNanos, Throwable error) {
        if (error == null) {
            renewed(sentNanos);
        } else if (error instanceof LockLostException lostError) {
            hold.lose(lostError.reason(), lostError);
        } else {
            failed(error);
        }
    }

    private ScheduledFuture<?> currentWatchdog() {
        timers.lock();
        try {
            return watchdog;
        } finally {
            timers.unlock();
        }
    }

    private void renewed(long sentNanos) {
        if (sentNanos - hold.deadlineNanos() >= 0) {
            // Sent at or after the local deadline (a late timer, say): its success does not prove
            // the lease never lapsed before it, so the hold is lost, not revived.
            hold.lose(LossReason.DEADLINE_PASSED, lastError);
            return;
        }
        lastError = null;
        hold.renewed(sentNanos);
        timers.lock();
        try {
            if (!hold.isRunning()) {
                return;
            }
            // The deadline check re-arms itself when it finds the deadline moved; no reschedule here.
            long next = sentNanos + periodNanos - settings.ticker().read();
            renewTask = scheduler.schedule(this::renewDue, Math.max(0, next), TimeUnit.NANOSECONDS);
        } finally {
            timers.unlock();
        }
    }

    private void failed(Throwable error) {
        lastError = error;
        long left = hold.renewFailed(error);
        if (left <= 0) {
            return;
        }
        // Retry sooner as the deadline nears: half the time left, at most one renew period.
        long retry = Math.max(MIN_RETRY_NANOS, Math.min(periodNanos, left / 2));
        timers.lock();
        try {
            if (hold.isRunning()) {
                renewTask = scheduler.schedule(this::renewDue, retry, TimeUnit.NANOSECONDS);
            }
        } finally {
            timers.unlock();
        }
    }

    private void deadlineDue() {
        if (!hold.isRunning() || hold.expireIfDue()) {
            return;
        }
        timers.lock();
        try {
            if (hold.isRunning()) {
                scheduleDeadlineCheck();
            }
        } finally {
            timers.unlock();
        }
    }

    // Caller holds `timers`.
    private void scheduleDeadlineCheck() {
        if (deadlineTask != null) {
            deadlineTask.cancel(false);
        }
        long delay = hold.deadlineNanos() - settings.ticker().read();
        deadlineTask = scheduler.schedule(this::deadlineDue, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }
}
