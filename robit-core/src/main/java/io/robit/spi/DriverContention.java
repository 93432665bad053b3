package io.robit.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@link Driver#contend}'s default: each call goes to the driver's own {@code acquire},
 * {@code awaitRelease} and {@code awaitReleaseAsync}, so a driver that keeps no per-call state needs
 * no contention class of its own. Holds no state, so any thread may use it.
 */
final class DriverContention<ID> implements Contention {
    private final Driver<ID> driver;
    private final ID id;
    private final Duration ttl;
    private final Duration timeout;

    DriverContention(Driver<ID> driver, ID id, Duration ttl, Duration timeout) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.id = Objects.requireNonNull(id, "id");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public Optional<Lease> tryAcquire() throws InterruptedException {
        return driver.acquire(id, ttl, timeout);
    }

    @Override
    public void awaitRelease(Duration maxWait) throws InterruptedException {
        driver.awaitRelease(id, maxWait);
    }

    @Override
    public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
        return driver.awaitReleaseAsync(id, maxWait);
    }

    @Override
    public void close() {
        // Nothing of this call is kept anywhere.
    }

    @Override
    public String toString() {
        return "Contention[" + id + " on " + driver + "]";
    }
}
