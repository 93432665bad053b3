package io.robit.internal;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.LeaseSession;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@link Hold}'s place in the {@link SessionRenewal} of its lease's session: the hold sends no
 * request of its own; each keep-alive of the session extends it. Thread-safe. Not API.
 */
final class SessionMember implements HoldKeeper {
    private final Hold<?> hold;
    private final MutexSettings<?> settings;
    private final LeaseSession session;
    private final long periodNanos;
    // Read once: each keep-alive of the session visits every member (see Hold's fields).
    private final long renewTimeoutNanos;
    private final AtomicBoolean left = new AtomicBoolean();
    // Set by SessionRenewal.join, inside its registry update, so a stop() during the join finds it.
    volatile SessionRenewal renewal;
    // Its place in the order of joins to that renewal, also set inside the registry update.
    volatile long joinNumber;

    SessionMember(Hold<?> hold, MutexSettings<?> settings, LeaseSession session, long periodNanos) {
        this.hold = hold;
        this.settings = settings;
        this.session = session;
        this.periodNanos = periodNanos;
        this.renewTimeoutNanos = settings.renewTimeout().toNanos();
    }

    @Override
    public void start(long sentNanos) {
        SessionRenewal.join(this, sentNanos);
    }

    @Override
    public void stop() {
        SessionRenewal current = renewal;
        if (current != null && left.compareAndSet(false, true)) {
            current.leave(this);
        }
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

    LeaseSession session() {
        return session;
    }

    MutexSettings<?> settings() {
        return settings;
    }

    long periodNanos() {
        return periodNanos;
    }

    long renewTimeoutNanos() {
        return renewTimeoutNanos;
    }

    long deadlineNanos() {
        return hold.deadlineNanos();
    }

    boolean isRunning() {
        return hold.isRunning();
    }

    /** A keep-alive sent at {@code sentNanos} succeeded, guaranteeing the session {@code guaranteedNanos} from then. */
    void renewed(long sentNanos, long guaranteedNanos) {
        if (!hold.isRunning()) {
            return;
        }
        if (hold.lease().lost().isDone()) {
            // The lease itself is gone (its key deleted, say): the hold's own loss handler tells it;
            // the session's keep-alive proves nothing for it.
            return;
        }
        if (sentNanos - hold.deadlineNanos() >= 0) {
            // Sent at or after the local deadline: it does not prove the lease never lapsed before.
            hold.lose(LossReason.DEADLINE_PASSED, lastError());
            return;
        }
        hold.sessionRenewed(sentNanos, guaranteedNanos);
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
