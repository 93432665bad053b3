package io.robit.internal;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.Ticker;
import io.robit.spi.AsyncLeaseSession;
import io.robit.spi.LeaseSession;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;

/**
 * The one renewal of a {@link LeaseSession}, shared by every hold whose lease lives on it (and
 * whose mutex uses the same scheduler, refresh executor and ticker): one keep-alive per period, whatever the number
 * of holds. A successful keep-alive sent at {@code sent} extends each hold's local deadline to
 * {@code sent + min(ttl, guaranteed) - drift}, recorded once per {@link SessionCohort} (holds with the
 * same ttl, drift margin, period and renew timeout) rather than in each hold, so that its cost does
 * not grow with the holds; a failed one is retried like a refresh (sooner as the nearest deadline
 * comes), a session reported gone loses every hold on it, each once, and one timer declares the
 * loss of each hold whose deadline passes. It exists while at least one hold is on it.
 * Thread-safe. Not API.
 */
final class SessionRenewal {
    private static final long MIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Duration FOREVER = Duration.ofDays(365L * 200);
    private static final ConcurrentHashMap<Key, SessionRenewal> RUNNING = new ConcurrentHashMap<>();
    // Sessions whose lost() has our callback: one per session object for its whole life, not one per
    // renewal (a renewal ends with its last hold, so lock/unlock churn would pile callbacks onto a
    // session that lives for hours). Weak, so a session nobody uses any more is not kept for it.
    private static final Set<LeaseSession> WATCHED = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    private final Key key;
    // Few: one per distinct shape of the mutexes on the session. Read on every keep-alive, changed rarely.
    private final Map<SessionCohort.Shape, SessionCohort> cohortsByShape = new ConcurrentHashMap<>();
    private final List<SessionCohort> cohorts = new CopyOnWriteArrayList<>();
    // The holds on it; changed only inside the registry update (join) or by leave.
    private final AtomicInteger holds = new AtomicInteger();
    // Numbers the joins, so a keep-alive extends only the holds that were on the session when it was sent.
    private final AtomicLong joins = new AtomicLong();
    private volatile boolean closed;
    private volatile Throwable lastError;
    // Once set, every hold on the session, or joining it, is lost.
    private volatile LockLostException sessionLoss;

    // Guards the fields below; never held across I/O or while telling a hold.
    private final ReentrantLock timers = new ReentrantLock();
    private ScheduledFuture<?> keepAliveTask;
    private long keepAliveDueNanos;
    private ScheduledFuture<?> deadlineTask;
    private long deadlineDueNanos;
    private Future<?> watchdog;
    private boolean inFlight;

    // Built with the renewal, on the joining thread: the timer thread may be the first to run it, and
    // linking a lambda there took hundreds of ms on a starved host (see expireDue).
    private final BiFunction<Key, SessionRenewal, SessionRenewal> retireIfEmpty = (k, current) -> {
        if (current == this && holds.get() == 0) {
            closed = true;
            return null;
        }
        return current;
    };

    private SessionRenewal(Key key) {
        this.key = key;
    }

    private SessionCohort newCohort(SessionCohort.Shape shape) {
        SessionCohort cohort = new SessionCohort(shape);
        cohorts.add(cohort);
        return cohort;
    }

    /** Puts {@code member} on its session's renewal (started if none runs), from its acquire sent at {@code sentNanos}. */
    static void join(SessionMember member, long sentNanos) {
        Key key = new Key(member.session(), member.settings().scheduler(), member.settings().refreshExecutor(), member.settings().ticker());
        SessionRenewal renewal = RUNNING.compute(key, (k, current) -> {
            SessionRenewal joined = current != null ? current : new SessionRenewal(k);
            SessionCohort cohort = joined.cohortsByShape.computeIfAbsent(member.shape(), joined::newCohort);
            member.renewal = joined;
            member.cohort = cohort;
            // In its cohort's newcomers before its number is taken: a keep-alive that covers the
            // number reads it after this, so it finds the member there.
            cohort.add(member);
            joined.holds.incrementAndGet();
            member.joinNumber = joined.joins.incrementAndGet();
            return joined;
        });
        renewal.joined(member, sentNanos);
    }

    /**
     * Takes {@code member} off. When the last one leaves, the renewal stops, unless its next
     * keep-alive is scheduled or in flight: then it stays until that keep-alive is due (and sends it
     * only if a hold joined meanwhile), so that lock+unlock in a loop joins the running renewal
     * rather than scheduling and cancelling its timers once per pair.
     */
    void leave(SessionMember member) {
        member.cohort.remove(member);
        if (holds.decrementAndGet() == 0 && !lingers()) {
            retireIfIdle();
        }
    }

    // Whether a renewal left without holds stays for its next keep-alive (not once the session is lost).
    private boolean lingers() {
        timers.lock();
        try {
            return sessionLoss == null && !closed && (keepAliveTask != null || inFlight);
        } finally {
            timers.unlock();
        }
    }

    // Stops the renewal if no hold is on it; a hold joining at the same time keeps it (both go through RUNNING).
    private void retireIfIdle() {
        RUNNING.computeIfPresent(key, retireIfEmpty);
        if (closed) {
            cancelTimers();
        }
    }

    Throwable lastError() {
        return lastError;
    }

    private void joined(SessionMember member, long sentNanos) {
        watchLoss(key.session());
        LockLostException loss = sessionLoss;
        if (loss != null) {
            member.sessionLost(loss);
            return;
        }
        timers.lock();
        try {
            if (closed) {
                return;
            }
            // A keep-alive in flight reschedules with this member counted; else this member's first
            // renewal is due one of its periods after its acquire, if nothing is due sooner.
            if (!inFlight) {
                scheduleKeepAlive(sentNanos + member.periodNanos());
            }
            // Only this member's deadline is new: no need to look at the others'.
            if (deadlineTask == null || member.deadlineNanos() - deadlineDueNanos < 0) {
                scheduleDeadlineCheck(member.deadlineNanos());
            }
        } finally {
            timers.unlock();
        }
    }

    private void keepAliveDue() {
        boolean idle;
        timers.lock();
        try {
            keepAliveTask = null;
            if (closed || inFlight) {
                return;
            }
            idle = holds.get() == 0;
            inFlight = !idle;
        } finally {
            timers.unlock();
        }
        if (idle) {
            // Lingered a period without a hold: stop (a hold that joins now schedules its own keep-alive).
            retireIfIdle();
            return;
        }
        // Read before the send time: a hold that joins after it is not counted as renewed by this
        // keep-alive. Its lease may have been granted (its key set) before the send yet joined the
        // driver's batch after it, as with Redis, whose keys each have their own ttl.
        long covered = joins.get();
        // A hold already past its deadline is lost, not renewed.
        Duration timeout = expireDueAndRenewTimeout();
        if (timeout == null) {
            endAttempt();
            retireIfIdle();
            return;
        }
        if (key.session() instanceof AsyncLeaseSession async) {
            keepAliveAsync(async, timeout, covered);
        } else {
            keepAliveOnWorker(timeout, covered);
        }
    }

    /** Without a worker thread: the driver's future completes on its own thread. */
    private void keepAliveAsync(AsyncLeaseSession async, Duration timeout, long covered) {
        long sent = key.ticker().read();
        CompletableFuture<Duration> attempt = new CompletableFuture<>();
        ScheduledFuture<?> dog = key.scheduler().schedule(() -> attempt.completeExceptionally(
                new TimeoutException("session keep-alive did not finish within renewTimeout " + timeout)), timeout.toNanos(), TimeUnit.NANOSECONDS);
        attempt.whenComplete((guaranteed, error) -> {
            dog.cancel(false);
            outcome(sent, covered, guaranteed, Hold.unwrap(error));
        });
        try {
            async.keepAliveAsync(timeout).whenComplete((guaranteed, error) -> {
                if (error == null) {
                    attempt.complete(guaranteed);
                } else {
                    attempt.completeExceptionally(error);
                }
            });
        } catch (RuntimeException | Error e) {
            attempt.completeExceptionally(e);
        }
    }

    /**
     * A blocking keep-alive on a worker, bounded by a watchdog. If the watchdog cancels it before
     * it started (every worker busy), that counts as a failed keep-alive, as if it had timed out.
     */
    private void keepAliveOnWorker(Duration timeout, long covered) {
        AtomicBoolean claimed = new AtomicBoolean();
        FutureTask<Void> attempt = new FutureTask<>(() -> {
            if (claimed.compareAndSet(false, true)) {
                keepAliveNow(timeout, covered);
            }
        }, null) {
            @Override
            protected void done() {
                if (isCancelled() && claimed.compareAndSet(false, true)) {
                    outcome(key.ticker().read(), covered, null, new TimeoutException("session keep-alive did not start within renewTimeout "
                            + timeout + " (the refresh executor was busy or refused it)"));
                }
            }
        };
        timers.lock();
        try {
            watchdog = key.scheduler().schedule(() -> attempt.cancel(true), timeout.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            timers.unlock();
        }
        try {
            key.refreshExecutor().execute(attempt);
        } catch (RejectedExecutionException e) {
            attempt.cancel(false); // reported by done() as a keep-alive that did not start: failed, retried
        }
    }

    private void keepAliveNow(Duration timeout, long covered) {
        // It may have waited in the worker queue: a hold past its deadline by now is lost, not renewed.
        expireDue();
        long sent = key.ticker().read();
        Duration guaranteed = null;
        Throwable error = null;
        try {
            guaranteed = key.session().keepAlive(timeout);
        } catch (InterruptedException e) {
            Thread.interrupted();
            error = new TimeoutException("session keep-alive did not finish within renewTimeout " + timeout);
        } catch (RuntimeException | Error e) {
            error = e;
        }
        timers.lock();
        try {
            if (watchdog != null) {
                watchdog.cancel(false);
            }
        } finally {
            timers.unlock();
        }
        outcome(sent, covered, guaranteed, error);
    }

    /**
     * The outcome of one keep-alive sent at {@code sentNanos} for the holds that joined up to
     * number {@code covered}: renewed, session lost, or failed.
     */
    private void outcome(long sentNanos, long covered, Duration guaranteed, Throwable error) {
        endAttempt();
        if (closed) {
            return;
        }
        if (holds.get() == 0) {
            retireIfIdle(); // nobody left to tell: every hold was released or lost meanwhile
            return;
        }
        if (error == null && (guaranteed == null || guaranteed.isNegative() || guaranteed.isZero())) {
            error = new IllegalStateException("the session's keep-alive guaranteed nothing (" + guaranteed + ")");
        }
        if (error == null) {
            // Capped: only its minimum with a ttl (which the builder bounds) is ever used.
            renewed(sentNanos, covered, guaranteed.compareTo(FOREVER) > 0 ? FOREVER.toNanos() : guaranteed.toNanos());
        } else if (error instanceof LockLostException lost) {
            sessionLost(lost);
        } else {
            failed(error);
        }
    }

    private void endAttempt() {
        timers.lock();
        try {
            inFlight = false;
        } finally {
            timers.unlock();
        }
    }

    /**
     * Extends the holds the keep-alive covered, cohort by cohort, tells the holds with listeners, and
     * arms the timers. The deadline check is armed under the lock from what the cohorts record: a
     * hold that joins after that arms the check for itself if its deadline comes sooner.
     */
    private void renewed(long sentNanos, long covered, long guaranteedNanos) {
        Throwable error = lastError;
        lastError = null;
        for (SessionCohort cohort : cohorts) {
            cohort.apply(sentNanos, covered, guaranteedNanos, error);
        }
        for (SessionCohort cohort : cohorts) {
            cohort.tellRenewed(sentNanos, cohort.extension().number());
        }
        timers.lock();
        try {
            if (closed) {
                return;
            }
            armDeadlineCheck();
            // Often enough for what the session guarantees, and for the shortest period of its holds.
            scheduleKeepAlive(sentNanos + periodNanos(guaranteedNanos));
        } finally {
            timers.unlock();
        }
    }

    private void failed(Throwable error) {
        lastError = error;
        long nearest = Long.MAX_VALUE;
        for (SessionCohort cohort : cohorts) {
            nearest = Math.min(nearest, cohort.failed(error));
        }
        if (nearest == Long.MAX_VALUE) {
            return; // every hold is lost (and left)
        }
        // Retry sooner as the nearest deadline comes: half the time left, at most one period.
        long retry = Math.max(MIN_RETRY_NANOS, Math.min(periodNanos(Long.MAX_VALUE), nearest / 2));
        timers.lock();
        try {
            if (!closed) {
                scheduleKeepAlive(key.ticker().read() + retry);
            }
        } finally {
            timers.unlock();
        }
    }

    private void sessionLost(LockLostException loss) {
        if (sessionLoss == null) {
            sessionLoss = loss;
        }
        for (SessionCohort cohort : cohorts) {
            cohort.sessionLost(loss);
        }
    }

    /**
     * Makes sure a loss of {@code session} reaches every renewal on it, now or later. A renewal that
     * joined RUNNING before the loss completed is found there by the callback; one that joins after
     * it sees the future done here (its completion happens before its callbacks run).
     */
    private static void watchLoss(LeaseSession session) {
        CompletableFuture<Void> lost = session.lost();
        if (WATCHED.add(session) || lost.isDone()) {
            lost.whenComplete((ignored, error) -> loseEverywhere(session, asLoss(session, Hold.unwrap(error))));
        }
    }

    private static void loseEverywhere(LeaseSession session, LockLostException loss) {
        RUNNING.forEach((key, renewal) -> {
            if (key.session() == session) {
                renewal.sessionLost(loss);
            }
        });
    }

    private static LockLostException asLoss(LeaseSession session, Throwable error) {
        return error instanceof LockLostException loss ? loss
                : new LockLostException(session, LossReason.GONE, "the session ended", error);
    }

    private void deadlineDue() {
        expireDue();
        timers.lock();
        try {
            if (!closed) {
                armDeadlineCheck();
            }
        } finally {
            timers.unlock();
        }
    }

    // A plain loop, no method reference: the first expiry of a JVM runs here on the timer thread, and
    // linking one there took hundreds of ms on a starved host (the fault suite, finding 9).
    private void expireDue() {
        long now = key.ticker().read();
        for (SessionCohort cohort : cohorts) {
            cohort.expireDue(now);
        }
    }

    /** {@link #expireDue()}, then the shortest renewTimeout of the holds on the session (null if none is left). */
    private Duration expireDueAndRenewTimeout() {
        expireDue();
        long shortest = Long.MAX_VALUE;
        for (SessionCohort cohort : cohorts) {
            if (!cohort.isEmpty()) {
                shortest = Math.min(shortest, cohort.shape().renewTimeoutNanos());
            }
        }
        return shortest == Long.MAX_VALUE ? null : Duration.ofNanos(shortest);
    }

    // Caller holds `timers`. Moves the next keep-alive to `dueNanos` unless one is due sooner.
    private void scheduleKeepAlive(long dueNanos) {
        if (keepAliveTask != null) {
            if (keepAliveDueNanos - dueNanos <= 0) {
                return;
            }
            keepAliveTask.cancel(false);
        }
        keepAliveDueNanos = dueNanos;
        keepAliveTask = key.scheduler().schedule(this::keepAliveDue, Math.max(0, dueNanos - key.ticker().read()), TimeUnit.NANOSECONDS);
    }

    // Caller holds `timers`. One timer, at the nearest deadline of a running hold on the session, if any.
    private void armDeadlineCheck() {
        long now = key.ticker().read();
        SessionCohort.Nearest nearest = new SessionCohort.Nearest();
        for (SessionCohort cohort : cohorts) {
            cohort.offerDeadlines(now, nearest);
        }
        if (nearest.any()) {
            scheduleDeadlineCheck(nearest.deadlineNanos());
        } else if (deadlineTask != null) {
            deadlineTask.cancel(false);
            deadlineTask = null;
        }
    }

    // Caller holds `timers`.
    private void scheduleDeadlineCheck(long dueNanos) {
        if (deadlineTask != null) {
            deadlineTask.cancel(false);
        }
        deadlineDueNanos = dueNanos;
        deadlineTask = key.scheduler().schedule(this::deadlineDue, Math.max(0, dueNanos - key.ticker().read()), TimeUnit.NANOSECONDS);
    }

    private void cancelTimers() {
        timers.lock();
        try {
            if (keepAliveTask != null) {
                keepAliveTask.cancel(false);
                keepAliveTask = null;
            }
            if (deadlineTask != null) {
                deadlineTask.cancel(false);
                deadlineTask = null;
            }
        } finally {
            timers.unlock();
        }
    }

    // The shortest period of the holds on the session, and often enough for what the session guarantees.
    private long periodNanos(long guaranteedNanos) {
        long period = Math.max(1, guaranteedNanos / 3);
        for (SessionCohort cohort : cohorts) {
            if (!cohort.isEmpty()) {
                period = Math.min(period, cohort.shape().periodNanos());
            }
        }
        return period;
    }

    /** One renewal per session object, scheduler, refresh executor and ticker: compared by identity. */
    private record Key(LeaseSession session, ScheduledExecutorService scheduler, Executor refreshExecutor, Ticker ticker) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Key that && session == that.session && scheduler == that.scheduler
                    && refreshExecutor == that.refreshExecutor && ticker == that.ticker;
        }

        @Override
        public int hashCode() {
            return ((System.identityHashCode(session) * 31 + System.identityHashCode(scheduler)) * 31
                    + System.identityHashCode(refreshExecutor)) * 31 + System.identityHashCode(ticker);
        }
    }
}
