package io.robit.internal;

import io.robit.LockLostException;
import io.robit.LossReason;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The holds of one {@link SessionRenewal} that gain the same from each keep-alive (same ttl, drift
 * margin, period and renew timeout). It records only the last keep-alive applied to them, its
 * number and the deadline it gives, and each hold reads its own deadline from that when asked:
 * applying a keep-alive costs the same for 10,000 holds as for one. A hold that joined since is
 * looked at once, by the first keep-alive sent after it joined; all holds are walked only when a
 * keep-alive fails, comes too late or gives less than the one before, or the session is lost.
 * Thread-safe; keep-alives are applied one at a time. Not API.
 */
final class SessionCohort {
    /** What the holds of a cohort share. */
    record Shape(long ttlNanos, long driftMarginNanos, long periodNanos, long renewTimeoutNanos) {
    }

    /** The last keep-alive applied: numbered from 1 (0: none yet), and the deadline it gives every hold it covered. */
    record Extension(long number, long deadlineNanos) {
    }

    private static final Extension NONE = new Extension(0, 0);

    private final Shape shape;
    private final Set<SessionMember> members = ConcurrentHashMap.newKeySet();
    // Joined and not yet covered by an applied keep-alive: their deadline is still their acquire's.
    // Never removed on leave (that would be a walk); dead entries go at the next keep-alive.
    private final ConcurrentLinkedQueue<SessionMember> pending = new ConcurrentLinkedQueue<>();
    // The members whose mutex has listeners: they are told of each renewal, one by one.
    private final Set<SessionMember> listening = ConcurrentHashMap.newKeySet();
    private volatile Extension extension = NONE;

    SessionCohort(Shape shape) {
        this.shape = shape;
    }

    Shape shape() {
        return shape;
    }

    Extension extension() {
        return extension;
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    /** Adds a member that joins now: it counts as covered by keep-alives sent after its join number was taken. */
    void add(SessionMember member) {
        members.add(member);
        pending.add(member);
        if (member.listens()) {
            listening.add(member);
        }
    }

    void remove(SessionMember member) {
        members.remove(member);
        if (member.listens()) {
            listening.remove(member);
        }
    }

    /**
     * Applies a keep-alive sent at {@code sentNanos} that covered the joins up to number
     * {@code covered} and guaranteed the session {@code guaranteedNanos}. A hold whose deadline had
     * passed when it was sent is lost, not renewed: it does not prove the lease never lapsed.
     */
    void apply(long sentNanos, long covered, long guaranteedNanos, Throwable lastError) {
        Extension previous = extension;
        long window = Math.min(shape.ttlNanos(), Math.max(0, guaranteedNanos));
        long deadline = sentNanos + Hold.trustedNanos(shape.ttlNanos(), shape.driftMarginNanos(), window);
        long number = previous.number() + 1;
        if (previous.number() > 0) {
            if (sentNanos - previous.deadlineNanos() >= 0) {
                // Sent late (keep-alives failed or waited): some covered holds may have passed their deadline.
                loseAllDueBy(sentNanos, lastError);
            }
            if (deadline - previous.deadlineNanos() < 0) {
                // Less than before: the covered holds keep what the earlier keep-alive gave them.
                for (SessionMember member : members) {
                    member.keepDeadline();
                }
            }
        }
        for (Iterator<SessionMember> it = pending.iterator(); it.hasNext(); ) {
            SessionMember member = it.next();
            if (!member.isRunning()) {
                it.remove();
            } else if (member.joinNumber <= covered) {
                it.remove();
                if (sentNanos - member.deadlineNanos() >= 0) {
                    member.lose(LossReason.DEADLINE_PASSED, lastError);
                } else {
                    member.settle(number);
                }
            }
        }
        extension = new Extension(number, deadline);
    }

    private void loseAllDueBy(long sentNanos, Throwable lastError) {
        for (SessionMember member : members) {
            if (member.isRunning() && !member.leaseLost() && sentNanos - member.deadlineNanos() >= 0) {
                member.lose(LossReason.DEADLINE_PASSED, lastError);
            }
        }
    }

    /** Tells the listening members covered by keep-alive {@code number}, sent at {@code sentNanos}, of their renewal. */
    void tellRenewed(long sentNanos, long number) {
        for (SessionMember member : listening) {
            member.tellRenewed(sentNanos, number);
        }
    }

    /** Declares lost each hold whose deadline has passed by {@code nowNanos}: only the newcomers while the extension lasts. */
    void expireDue(long nowNanos) {
        Extension current = extension;
        Iterable<SessionMember> suspects = current.number() > 0 && nowNanos - current.deadlineNanos() < 0 ? pending : members;
        for (SessionMember member : suspects) {
            member.expireIfDue(nowNanos);
        }
    }

    /**
     * Offers the deadline of each running hold to {@code nearest}. The covered holds' deadlines all
     * lie at or after the extension's, so while it lies ahead only the newcomers are looked at, and
     * the extension's deadline stands for the rest; once it has passed (keep-alives failing), every hold.
     */
    void offerDeadlines(long nowNanos, Nearest nearest) {
        Extension current = extension;
        boolean extended = current.number() > 0 && nowNanos - current.deadlineNanos() < 0;
        if (extended) {
            nearest.offer(current.deadlineNanos());
        }
        for (SessionMember member : extended ? pending : members) {
            if (member.isRunning()) {
                nearest.offer(member.deadlineNanos());
            }
        }
    }

    /** The nearest of the deadlines offered, in ticker nanoseconds. Not thread-safe. */
    static final class Nearest {
        private boolean any;
        private long deadlineNanos;

        void offer(long candidate) {
            if (!any || candidate - deadlineNanos < 0) {
                deadlineNanos = candidate;
                any = true;
            }
        }

        boolean any() {
            return any;
        }

        long deadlineNanos() {
            return deadlineNanos;
        }
    }

    /** A keep-alive failed: tells every hold; returns the least time left before a deadline, or {@code Long.MAX_VALUE}. */
    long failed(Throwable error) {
        long nearest = Long.MAX_VALUE;
        for (SessionMember member : members) {
            long left = member.failed(error);
            if (left > 0) {
                nearest = Math.min(nearest, left);
            }
        }
        return nearest;
    }

    void sessionLost(LockLostException loss) {
        for (SessionMember member : members) {
            member.sessionLost(loss);
        }
    }
}
