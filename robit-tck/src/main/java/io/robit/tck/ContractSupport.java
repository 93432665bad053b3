package io.robit.tck;

import io.robit.spi.Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * What a driver's conformance test supplies: how to make a driver, how to name a lock, and how to
 * break a lease behind its holder's back. Shared by {@link DriverContract} and {@link MutexContract}.
 *
 * @param <ID> the driver's lock-name type
 */
public abstract class ContractSupport<ID> {
    private final List<Driver<ID>> opened = new ArrayList<>();

    /**
     * A new driver. Two calls stand for two separate processes: each should have its own client
     * and connections, over the same backend. The kit closes every driver after each test.
     */
    protected abstract Driver<ID> newDriver() throws Exception;

    /** A fresh lock name, different on every call. */
    protected abstract ID newLockId();

    /**
     * Breaks the current lease on {@code id} behind its holder's back, the way an operator or a
     * failure would: delete the key, revoke the lease, expire the session. Use a client of your own.
     */
    protected abstract void breakLease(ID id) throws Exception;

    /** The short lease used by expiry tests. Override if the backend has a larger minimum. */
    protected Duration ttl() {
        return Duration.ofSeconds(2);
    }

    /** Extra time allowed, beyond the ttl, for an expiry or notification to be observed. */
    protected Duration slack() {
        return Duration.ofSeconds(3);
    }

    /** Lock names the driver must reject with {@link IllegalArgumentException} before any I/O. */
    protected List<ID> invalidIds() {
        return List.of();
    }

    /** A ttl long enough that no lease expires during a test. */
    protected Duration longTtl() {
        return Duration.ofSeconds(60);
    }

    /** A short per-request timeout for driver calls. */
    protected Duration requestTimeout() {
        return Duration.ofSeconds(5);
    }

    /** {@link #newDriver()}, closed after the test. */
    protected final Driver<ID> driver() throws Exception {
        Driver<ID> driver = newDriver();
        opened.add(driver);
        return driver;
    }

    @AfterEach
    final void closeDrivers() {
        for (Driver<ID> driver : opened) {
            try {
                driver.close();
            } catch (RuntimeException e) {
                // Closing is best effort; a failure here must not hide the test's own result.
            }
        }
        opened.clear();
    }
}
