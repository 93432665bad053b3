package io.robit.internal;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.LeaseSession;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One {@link Hold}'s place in the {@link SessionRenewal} of its lease's session: the hold sends no
 * request of its own; each keep-alive of the session extends it. The extension is not written into
 * the hold: the hold reads it from its {@link SessionCohort} when it asks for its deadline, and
 * counts the keep-alives that covered it the same way. Thread-safe. Not API.
 */
final class SessionMember implements HoldKeeper {
    private static final long UNSETTLED = Long.MAX_VALUE;

    private final Hold<?> hold;
    private final MutexSettings<?> settings;
    private final StatsRecorder stats;
    private final LeaseSession session;
    private final SessionCohort.Shape shape;
    private final boolean listens;
    private final AtomicBoolean left = new AtomicBoolean();
    // Its identity is this hold's entry in the mutex's stats while the hold lives.
    private final LongSupplier renewalCount = this::renewals;
    // Set by SessionRenewal.join, inside its registry update, so a stop() during the join finds it.
    volatile SessionRenewal renewal;
    volatile SessionCohort cohort;
    // Its place in the order of joins to that renewal, also set inside the registry update.
    volatile long joinNumber;
    // The number of the first keep-alive of its cohort that covered it; UNSETTLED before that.
    private volatile long settledAt = UNSETTLED;

    SessionMember(Hold<?> hold, MutexSettings<?> settings, StatsRecorder stats, LeaseSession session, long periodNanos, boolean listens) {
        this.hold = hold;
        this.settings = settings;
        this.stats = stats;
        this.session = session;
        this.listens = listens;
        this.shape = new SessionCohort.Shape(settings.ttl().toNanos(), settings.driftMargin().toNanos(), periodNanos,
                settings.renewTimeout().toNanos());
    }

    @Override
    public void start(long sentNanos) {
        stats.countLive(renewalCount);
        SessionRenewal.join(this, sentNanos);
    }

    @Override
    public void stop() {
        SessionRenewal current = renewal;
        if (current != null && left.compareAndSet(false, true)) {
            current.leave(this);
        }
        stats.settleLive(renewalCount);
    }

    /**
     * Nothing to wait for: a keep-alive in flight is the session's, not this hold's, and touches no
     * lease's key, so the lease may be released while it runs.
     */
    @Override
    public void awaitStopped() {
    }

    @Override
    public Throwable lastError() {
        SessionRenewal current = renewal;
        return current == null ? null : current.lastError();
    }

    /** The later of the hold's own deadline and what the keep-alives that covered it gave. */
    @Override
    public long deadlineAfter(long ownNanos) {
        long settled = settledAt;
        if (settled == UNSETTLED) {
            return ownNanos;
        }
        SessionCohort.Extension extension = cohort.extension();
        if (extension.number() < settled || leaseLost()) {
            // A keep-alive proves nothing for a lease that is gone on its own (its key deleted, say).
            return ownNanos;
        }
        return extension.deadlineNanos() - ownNanos > 0 ? extension.deadlineNanos() : ownNanos;
    }

    /** How many keep-alives have extended this hold. */
    long renewals() {
        long settled = settledAt;
        return settled == UNSETTLED ? 0 : Math.max(0, cohort.extension().number() - settled + 1);
    }

    LeaseSession session() {
        return session;
    }

    MutexSettings<?> settings() {
        return settings;
    }

    SessionCohort.Shape shape() {
        return shape;
    }

    boolean listens() {
        return listens;
    }

    long periodNanos() {
        return shape.periodNanos();
    }

    long deadlineNanos() {
        return hold.deadlineNanos();
    }

    boolean isRunning() {
        return hold.isRunning();
    }

    boolean leaseLost() {
        return hold.lease().lost().isDone();
    }

    /** Covered from keep-alive {@code number} of its cohort on. */
    void settle(long number) {
        settledAt = number;
    }

    /** Writes the deadline it has now into the hold, before its cohort's extension shrinks. */
    void keepDeadline() {
        if (hold.isRunning() && settledAt != UNSETTLED) {
            hold.raiseDeadline(hold.deadlineNanos());
        }
    }

    void lose(LossReason reason, Throwable cause) {
        hold.lose(reason, cause);
    }

    /** Tells the hold's listeners of keep-alive {@code number}, sent at {@code sentNanos}, if it covered the hold. */
    void tellRenewed(long sentNanos, long number) {
        long settled = settledAt;
        if (settled != UNSETTLED && settled <= number && hold.isRunning()) {
            hold.tellRenewed(sentNanos);
        }
    }

    /** A keep-alive failed without a loss; returns the time left before this hold's deadline (zero or less if lost). */
    long failed(Throwable error) {
        return hold.isRunning() ? hold.renewFailed(error) : 0;
    }

    /** The session is gone: the hold is lost (once; not if it was released first). */
    void sessionLost(LockLostException sessionLoss) {
        if (hold.isRunning()) {
            hold.lose(sessionLoss.reason(), new LockLostException(settings.id(), sessionLoss.reason(),
                    "its session ended: " + sessionLoss.getMessage(), sessionLoss));
        }
    }

    /** Declares the loss if the local deadline has passed by {@code nowNanos}, a ticker reading. */
    void expireIfDue(long nowNanos) {
        hold.expireIfDue(nowNanos);
    }
}
