package io.robit.internal;

import io.robit.Held;
import io.robit.LockLostException;
import io.robit.Loss;
import io.robit.LossListener;
import io.robit.LossReason;
import io.robit.spi.AsyncLease;
import io.robit.spi.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One hold of a lock and everything that keeps it alive: the renewal timer, the local deadline,
 * and the single transition to released or lost. Thread-safe. Not API.
 *
 * <p>The local deadline is the {@link io.robit.Ticker} reading taken just before the last
 * successful acquire or refresh request was sent, plus the ttl, minus the drift margin: the
 * backend cannot have expired the lease before then, so until then "held" is true. A refresh sent
 * at or after the deadline proves nothing about the time in between: it ends the hold as lost.
 *
 * @param <ID> the type of lock names
 */
public final class Hold<ID> implements Held {
    // The state is ACTIVE, RELEASED, or the LossReason itself, so "lost" and its reason appear together.
    private static final Object ACTIVE = new Object();
    private static final Object RELEASED = new Object();
    private static final long MIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final MutexSettings<ID> settings;
    private final StatsRecorder stats;
    private final Events events;
    private final Lease lease;
    private final Consumer<Hold<ID>> onEnd;
    private final long acquiredNanos;
    private final Instant acquiredAt;
    private final long trustedNanos;
    private final long renewPeriodNanos;

    private final AtomicReference<Object> state = new AtomicReference<>(ACTIVE);
    private final CompletableFuture<Void> lostSignal = new CompletableFuture<>();
    private final List<Runnable> lossHooks = new CopyOnWriteArrayList<>();
    private volatile long deadlineNanos;
    private volatile Throwable lastRenewError;

    // Guards the scheduled tasks below; never held across I/O.
    private final ReentrantLock timers = new ReentrantLock();
    private ScheduledFuture<?> renewTask;
    private ScheduledFuture<?> deadlineTask;
    private Future<?> inflight; // a FutureTask (blocking refresh) or CompletableFuture (async)
    private ScheduledFuture<?> watchdog;
    // Held while a refresh request runs, so release can wait for it to stop.
    private final ReentrantLock refreshing = new ReentrantLock();

    /**
     * @param sentNanos ticker reading taken just before the acquire request was sent
     * @param onEnd called once when the hold ends, to detach it from its mutex
     */
    public Hold(MutexSettings<ID> settings, StatsRecorder stats, Events events, Lease lease, long sentNanos, Consumer<Hold<ID>> onEnd) {
        this.settings = settings;
        this.stats = stats;
        this.events = events;
        this.lease = lease;
        this.onEnd = onEnd;
        this.acquiredNanos = sentNanos;
        this.acquiredAt = Instant.now();
        long window = windowNanos(settings, lease);
        this.trustedNanos = window - driftNanos(settings, window);
        this.deadlineNanos = sentNanos + trustedNanos;
        // A backend that guarantees less than the ttl is renewed often enough for what it guarantees.
        this.renewPeriodNanos = Math.max(1, Math.min(settings.renewPeriod().toNanos(), window / 3));
    }

    /** Whether the local deadline had already passed when the acquire returned. */
    public boolean expiredOnArrival() {
        return settings.ticker().read() >= deadlineNanos;
    }

    /** Records the acquisition and starts renewal and loss watching. */
    public void start() {
        long now = settings.ticker().read();
        stats.recordAcquired(now, acquiredAt);
        timers.lock();
        try {
            // Counted from when the acquire was sent, like the deadline: a slow reply must not push
            // the first renewal (and with it the deadline check) past the deadline.
            long firstRenewal = Math.max(0, acquiredNanos + renewPeriodNanos - now);
            renewTask = Scheduling.timer().schedule(this::renewDue, firstRenewal, TimeUnit.NANOSECONDS);
            // Otherwise the deadline check is armed at the first renewal: that comes before the
            // deadline, and most holds end before it, so they never pay for a second timer.
            if (deadlineNanos - now <= firstRenewal) {
                scheduleDeadlineCheck();
            }
        } finally {
            timers.unlock();
        }
        lease.lost().whenComplete((ignored, error) -> lose(reasonOf(error), unwrap(error)));
    }

    /** The lease behind this hold. */
    public Lease lease() {
        return lease;
    }

    @Override
    public long fencingToken() {
        return lease.fencingToken();
    }

    @Override
    public Instant acquiredAt() {
        return acquiredAt;
    }

    @Override
    public boolean isLost() {
        expireIfDue();
        return state.get() instanceof LossReason;
    }

    @Override
    public Optional<LossReason> lossReason() {
        isLost();
        return state.get() instanceof LossReason reason ? Optional.of(reason) : Optional.empty();
    }

    @Override
    public CompletableFuture<Void> lost() {
        expireIfDue();
        if (lostSignal.isDone()) {
            return CompletableFuture.completedFuture(null);
        }
        // The loss is usually declared on the one timer thread: a caller's callback run there
        // would hold up every other hold's renewals and deadline checks.
        return lostSignal.thenApplyAsync(ignored -> null, Scheduling.notifiers());
    }

    @Override
    public void close() {
        release();
    }

    /** True while held and before the local deadline; declares the loss if the deadline has passed. */
    public boolean isActive() {
        return state.get() == ACTIVE && !expireIfDue();
    }

    /**
     * Runs {@code hook} on the thread that declares the loss, at once if already lost. Hooks
     * must be quick, must not block, and must tolerate being run twice.
     */
    public void addLossHook(Runnable hook) {
        lossHooks.add(hook);
        if (state.get() instanceof LossReason) {
            hook.run();
        }
    }

    /**
     * Ends the hold voluntarily: stops renewal, waits for an in-flight refresh to stop, then
     * releases the lease. If the local deadline has already passed, the hold is declared lost
     * instead (the backend may have handed the lock on by now).
     *
     * @return true if this call released it; false if it was already released or lost
     */
    public boolean release() {
        if (expireIfDue() || !state.compareAndSet(ACTIVE, RELEASED)) {
            return false;
        }
        long now = settings.ticker().read();
        stats.recordReleased(now);
        cancelTimers();
        // An unlock on an interrupted thread (after `catch (InterruptedException e) { interrupt(); }`,
        // say) must still give the lock back at once, not leave it to its ttl; the flag is put back after.
        boolean interrupted = Thread.interrupted();
        try {
            awaitRefreshStopped();
            releaseLease();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        onEnd.accept(this);
        if (events.enabled()) {
            events.released(now - acquiredNanos);
        }
        return true;
    }

    /**
     * Stops a hold whose {@link #start()} failed, without releasing the lease (the caller gives
     * it back) and without counting a release or a loss.
     */
    public void abandon() {
        if (state.compareAndSet(ACTIVE, RELEASED)) {
            cancelTimers();
        }
    }

    /** Declares the loss if the local deadline has passed; true if it has. */
    private boolean expireIfDue() {
        if (state.get() == ACTIVE && settings.ticker().read() - deadlineNanos >= 0) {
            lose(LossReason.DEADLINE_PASSED, lastRenewError);
            return true;
        }
        return false;
    }

    private void renewDue() {
        if (state.get() != ACTIVE || expireIfDue()) {
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
            watchdog = Scheduling.timer().schedule(() -> attempt.cancel(true), settings.renewTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            timers.unlock();
        }
        Scheduling.workers().execute(attempt);
    }

    // Caller holds `timers`. See start(): the first renewal arms the deadline check.
    private void armDeadlineCheck() {
        if (deadlineTask == null && state.get() == ACTIVE) {
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
            myWatchdog = Scheduling.timer().schedule(
                    () -> attempt.completeExceptionally(new TimeoutException("renewal did not finish within renewTimeout " + settings.renewTimeout())),
                    settings.renewTimeout().toNanos(), TimeUnit.NANOSECONDS);
            watchdog = myWatchdog;
        } finally {
            timers.unlock();
        }
        attempt.whenComplete((ignored, error) -> {
            myWatchdog.cancel(false);
            if (state.get() == ACTIVE) {
                refreshed(sent, unwrap(error));
            }
        });
        // Sent under `refreshing` (refreshAsync does not block), so a release that waits for it
        // knows no refresh is sent after it returns.
        refreshing.lock();
        try {
            if (state.get() != ACTIVE) {
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
     * One blocking refresh on a worker. The worker pool is bounded, so the attempt may wait in its
     * queue; if the watchdog cancels it before it ran, that counts as a failed renewal (and a retry
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
                    Hold.this.refreshOnce();
                }
            }, null);
            this.claimed = claimed;
        }

        @Override
        protected void done() {
            if (isCancelled() && claimed.compareAndSet(false, true) && state.get() == ACTIVE) {
                renewalFailed(new TimeoutException("renewal did not start within renewTimeout " + settings.renewTimeout()
                        + " (every Robit worker was busy)"));
            }
        }
    }

    private void refreshOnce() {
        ScheduledFuture<?> myWatchdog = currentWatchdog();
        refreshing.lock();
        try {
            // The attempt may have waited in the worker queue past the deadline: the lease may have
            // lapsed (and been granted to someone else) since, so it is not renewed but lost.
            if (state.get() != ACTIVE || expireIfDue()) {
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
            if (state.get() == ACTIVE) {
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
            lose(lostError.reason(), lostError);
        } else {
            renewalFailed(error);
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
        if (sentNanos - deadlineNanos >= 0) {
            // Sent at or after the local deadline (a late timer, say): its success does not prove
            // the lease never lapsed before it, so the hold is lost, not revived.
            lose(LossReason.DEADLINE_PASSED, lastRenewError);
            return;
        }
        stats.recordRenewSuccess();
        lastRenewError = null;
        if (events.enabled()) {
            long now = settings.ticker().read();
            events.renewed(now - sentNanos, sentNanos + trustedNanos - now);
        }
        timers.lock();
        try {
            if (state.get() != ACTIVE) {
                return;
            }
            long candidate = sentNanos + trustedNanos;
            if (candidate - deadlineNanos > 0) {
                // The deadline check re-arms itself when it finds the deadline moved; no reschedule here.
                deadlineNanos = candidate;
            }
            long next = sentNanos + renewPeriodNanos - settings.ticker().read();
            renewTask = Scheduling.timer().schedule(this::renewDue, Math.max(0, next), TimeUnit.NANOSECONDS);
        } finally {
            timers.unlock();
        }
    }

    private void renewalFailed(Throwable error) {
        stats.recordRenewFailed();
        lastRenewError = error;
        long left = deadlineNanos - settings.ticker().read();
        if (events.enabled()) {
            events.renewFailed(error, left);
        }
        if (left <= 0) {
            lose(LossReason.DEADLINE_PASSED, error);
            return;
        }
        settings.logger().warn("renewal of lock '{}' failed; {} ms left before the local deadline: {}",
                settings.id(), TimeUnit.NANOSECONDS.toMillis(left), error.toString());
        // Retry sooner as the deadline nears: half the time left, at most one renew period.
        long retry = Math.max(MIN_RETRY_NANOS, Math.min(renewPeriodNanos, left / 2));
        timers.lock();
        try {
            if (state.get() == ACTIVE) {
                renewTask = Scheduling.timer().schedule(this::renewDue, retry, TimeUnit.NANOSECONDS);
            }
        } finally {
            timers.unlock();
        }
    }

    private void deadlineDue() {
        if (state.get() != ACTIVE || expireIfDue()) {
            return;
        }
        timers.lock();
        try {
            if (state.get() == ACTIVE) {
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
        long delay = deadlineNanos - settings.ticker().read();
        deadlineTask = Scheduling.timer().schedule(this::deadlineDue, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    /** The one transition to LOST: signal, count, notify, and release the lease exactly once. */
    private void lose(LossReason reason, Throwable cause) {
        if (!state.compareAndSet(ACTIVE, reason)) {
            return;
        }
        long now = settings.ticker().read();
        stats.recordLost(now);
        cancelTimers();
        onEnd.accept(this);
        lostSignal.complete(null);
        for (Runnable hook : lossHooks) {
            runGuarded(hook, "loss hook");
        }
        Duration heldFor = Duration.ofNanos(Math.max(0, now - acquiredNanos));
        settings.logger().error("lock '{}' lost ({}) after {} ms; fencing token {}{}", settings.id(), reason,
                heldFor.toMillis(), lease.fencingToken(), cause == null ? "" : ": " + cause);
        Loss loss = new Loss(String.valueOf(settings.id()), reason, lease.fencingToken(), heldFor, Optional.ofNullable(cause));
        if (events.enabled()) {
            events.lost(loss);
        }
        Scheduling.notifiers().execute(() -> notifyListeners(loss));
        // On its own small pool: after a backend outage these may all block until the driver's
        // timeouts, and must neither add a thread per lock nor hold up other locks' renewals.
        Scheduling.releases().execute(() -> {
            awaitRefreshStopped();
            releaseLease();
        });
    }

    private void notifyListeners(Loss loss) {
        for (LossListener listener : settings.listeners()) {
            runGuarded(() -> listener.onLost(loss), "onLost listener");
        }
    }

    private void runGuarded(Runnable action, String what) {
        try {
            action.run();
        } catch (RuntimeException | Error e) {
            settings.logger().error("{} of lock '{}' threw; ignored", what, settings.id(), e);
        }
    }

    private void cancelTimers() {
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

    // Waits at most renewTimeout, whatever interrupts arrive meanwhile; keeps the interrupt flag.
    private void awaitRefreshStopped() {
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

    private void releaseLease() {
        try {
            settings.driver().release(lease);
        } catch (RuntimeException e) {
            settings.logger().warn("release of lock '{}' threw; the lease will expire on its own", settings.id(), e);
        }
    }

    // The smaller of the asked ttl and what the backend guarantees.
    private static long windowNanos(MutexSettings<?> settings, Lease lease) {
        long ttl = settings.ttl().toNanos();
        Duration guaranteed = lease.guaranteedTtl(settings.ttl());
        long backend = guaranteed == null || guaranteed.isNegative() ? 0 : guaranteed.toNanos();
        return Math.min(ttl, backend);
    }

    // The drift margin covers clock rate differences, which grow with the time trusted: over a window
    // shorter than the ttl it shrinks in proportion. (Taken whole, 1% of a ttl of hours exceeded a
    // ZooKeeper session's guarantee, and every acquire was given back at once.)
    private static long driftNanos(MutexSettings<?> settings, long windowNanos) {
        long ttl = settings.ttl().toNanos();
        long drift = settings.driftMargin().toNanos();
        if (windowNanos >= ttl) {
            return drift;
        }
        return (long) Math.ceil(drift * ((double) Math.max(0, windowNanos) / ttl));
    }

    private static LossReason reasonOf(Throwable error) {
        return unwrap(error) instanceof LockLostException lost ? lost.reason() : LossReason.GONE;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof CompletionException || current instanceof CancellationException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
