package io.robit.spi.support;

import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A driver that forwards every call to another driver: the base of a decorator (one that counts,
 * records or wraps what a driver hands out) that must keep the wrapped driver's own behaviour, above
 * all its own {@linkplain Driver#contend contention} (a fair queue, a hand-over, a watch) and waits,
 * rather than fall back to the SPI's defaults built on {@code acquire}. A subclass overrides only what
 * it decorates; one that wraps leases overrides {@link #acquire}, {@link #contend} (returning a
 * {@link ForwardingContention} whose {@code tryAcquire} wraps them too) and {@link #release} (to
 * hand the wrapped driver its own lease back). Thread-safe as the wrapped driver is.
 *
 * @param <ID> the type of lock names
 */
public abstract class ForwardingDriver<ID> implements Driver<ID> {
    private final Driver<ID> delegate;

    /** @param delegate the driver every call goes to */
    protected ForwardingDriver(Driver<ID> delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
    }

    /** {@return the driver every call goes to} */
    protected final Driver<ID> delegate() {
        return delegate;
    }

    @Override
    public Optional<Lease> acquire(ID id, Duration ttl, Duration timeout) throws InterruptedException {
        return delegate.acquire(id, ttl, timeout);
    }

    @Override
    public Contention contend(ID id, Duration ttl, Duration timeout) {
        return delegate.contend(id, ttl, timeout);
    }

    @Override
    public void release(Lease lease) {
        delegate.release(lease);
    }

    @Override
    public void awaitRelease(ID id, Duration maxWait) throws InterruptedException {
        delegate.awaitRelease(id, maxWait);
    }

    @Override
    public CompletableFuture<Void> awaitReleaseAsync(ID id, Duration maxWait) {
        return delegate.awaitReleaseAsync(id, maxWait);
    }

    @Override
    public void validate(ID id) {
        delegate.validate(id);
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
