package io.robit.spi.support;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.Lease;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every {@link Lease} has: its lock's id, its fencing token, the {@link #lost()} future, and
 * the once-only transitions between holding, releasing and losing it. A driver's lease extends it
 * and adds the refresh. Thread-safe.
 *
 * <p>The transitions: {@link #beginRelease()} succeeds once, whether or not the lease was lost
 * before (the core releases every lease once, lost or not); {@link #lose} completes {@link #lost()}
 * at most once, and never once a release began, so a release can never be reported as a loss.
 * A refresh that the backend answers "not yours" does {@code throw lose(reason, detail)}: the
 * exception thrown and the one {@code lost()} completes with are the same, signalled once.
 */
public abstract class BaseLease implements Lease {
    private static final int RELEASE_BEGUN = 1;
    private static final int LOST = 2;

    private final Object lockId;
    private final long fencingToken;
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    private final AtomicInteger state = new AtomicInteger();

    /**
     * @param lockId the name of the lock this lease is on
     * @param fencingToken the lease's fencing token
     */
    protected BaseLease(Object lockId, long fencingToken) {
        this.lockId = Objects.requireNonNull(lockId, "lockId must not be null");
        this.fencingToken = fencingToken;
    }

    /** {@return the name of the lock this lease is on} */
    public final Object lockId() {
        return lockId;
    }

    @Override
    public final long fencingToken() {
        return fencingToken;
    }

    /** Completes exceptionally with the {@link LockLostException} of {@link #lose}, at most once. */
    @Override
    public final CompletableFuture<Void> lost() {
        return lost;
    }

    /**
     * Marks the start of this lease's release; call it first in {@code Driver.release}.
     *
     * @return true the first time (go on and release), false after that (the lease was already
     *     released: do nothing)
     */
    public final boolean beginRelease() {
        return (state.getAndAccumulate(RELEASE_BEGUN, (now, bit) -> now | bit) & RELEASE_BEGUN) == 0;
    }

    /** {@return whether {@link #beginRelease()} has been called} */
    public final boolean isReleaseBegun() {
        return (state.get() & RELEASE_BEGUN) != 0;
    }

    /** {@return whether the loss of this lease was signalled} */
    public final boolean isLost() {
        return (state.get() & LOST) != 0;
    }

    /**
     * The backend says this lease is no longer ours: completes {@link #lost()} with the returned
     * exception, unless it was already lost or its release began. Returns the exception either way,
     * so that a refresh can {@code throw lose(...)}.
     *
     * @param reason why the lease is gone
     * @param detail what the backend said, for the message
     * @return the exception that tells the loss
     */
    public final LockLostException lose(LossReason reason, String detail) {
        LockLostException loss = new LockLostException(lockId, reason, detail);
        signalLost(loss);
        return loss;
    }

    /**
     * Completes {@link #lost()} with {@code loss}, once: only if the lease was neither lost before
     * nor had its release begin.
     *
     * @param loss the exception that tells the loss
     * @return whether this call signalled the loss
     */
    public final boolean signalLost(LockLostException loss) {
        Objects.requireNonNull(loss, "loss must not be null");
        if (!state.compareAndSet(0, LOST)) {
            return false;
        }
        lost.completeExceptionally(loss);
        return true;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + lockId + ", token " + fencingToken + "]";
    }
}
