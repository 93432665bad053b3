package io.robit.spi.support;

import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A contention that forwards every call to another: what a decorating driver's
 * {@link io.robit.spi.Driver#contend contend} returns (see {@link ForwardingDriver}), overriding
 * {@link #tryAcquire} to record or wrap each attempt while the wrapped contention keeps its own
 * state (a queued place, a subscription) and its own waits. Used by one call at a time, as any
 * contention is.
 */
public abstract class ForwardingContention implements Contention {
    private final Contention delegate;

    /** @param delegate the contention every call goes to */
    protected ForwardingContention(Contention delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
    }

    /** {@return the contention every call goes to} */
    protected final Contention delegate() {
        return delegate;
    }

    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        return delegate.tryAcquire();
    }

    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        delegate.awaitRelease(maxWait);
    }

    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        return delegate.awaitReleaseAsync(maxWait);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + delegate + "]";
    }
}
