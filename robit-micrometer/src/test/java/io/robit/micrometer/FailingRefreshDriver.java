package io.robit.micrometer;

import io.robit.DriverException;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Wraps a driver so every refresh fails, as an unreachable backend would. */
final class FailingRefreshDriver implements Driver<String> {
    private final Driver<String> inner;

    FailingRefreshDriver(Driver<String> inner) {
        this.inner = inner;
    }

    @Override
    public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
        return inner.acquire(id, ttl, timeout).map(lease -> new Lease() {
            @Override
            public void refresh(Duration ttl2, Duration timeout2) {
                throw new DriverException("failing", id, "refresh", new java.io.IOException("unreachable"));
            }

            @Override
            public CompletableFuture<Void> lost() {
                return lease.lost();
            }

            @Override
            public long fencingToken() {
                return lease.fencingToken();
            }
        });
    }

    @Override
    public void release(Lease lease) {
        // The wrapped lease is not the inner driver's; the test's lock simply expires.
    }
}
