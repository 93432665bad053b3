package io.robit.tck;

import io.robit.spi.Driver;
import io.robit.spi.LeaseSession;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;

/**
 * What a driver's conformance test supplies: how to make a driver, how to name a lock, and how to
 * break a lease behind its holder's back. Shared by every contract; {@link DriverConformance} runs
 * them all over one {@link DriverFixture}.
 *
 * @param <ID> the driver's lock-name type
 */
public abstract class ContractSupport<ID> {
    private final List<Driver<ID>> opened = new ArrayList<>();

    /**
     * The backend under test, for subclasses that describe it once as a {@link DriverFixture}
     * rather than overriding {@link #newDriver()}, {@link #newLockId()}, {@link #breakLease} and
     * {@link #invalidIds()} themselves. Override one or the other.
     */
    protected DriverFixture<ID> fixture() {
        throw new IllegalStateException(getClass().getName()
                + " must override fixture(), or newDriver(), newLockId() and breakLease(id)");
    }

    /**
     * A new driver. Two calls stand for two separate processes: each should have its own client
     * and connections, over the same backend. The kit closes every driver after each test.
     */
    protected Driver<ID> newDriver() throws Exception {
        return fixture().newDriver();
    }

    /** A fresh lock name, different on every call. */
    protected ID newLockId() {
        return fixture().newLockId();
    }

    /**
     * Breaks the current lease on {@code id} behind its holder's back, the way an operator or a
     * failure would: delete the key, revoke the lease, expire the session. Use a client of your own.
     */
    protected void breakLease(ID id) throws Exception {
        fixture().breakLease(id);
    }

    /**
     * Ends {@code session} behind its holders' backs, the way a failure or an operator would: revoke
     * the etcd lease, expire the ZooKeeper session. The backend frees every lock on it. Use a client
     * of your own. Needed only by a driver whose leases are {@link io.robit.spi.SessionLease}s.
     */
    protected void endSession(LeaseSession session) throws Exception {
        fixture().endSession(session);
    }

    /**
     * Where the backend's server listens, when the driver reaches it over one TCP address: the
     * outage contract then puts a {@link CuttableProxy} in front of it and drives
     * {@link #newDriverVia}. Empty (the default) for a backend with no server to cut (in-memory,
     * an SQLite file): the contract then breaks every lease instead.
     */
    protected Optional<InetSocketAddress> serverAddress() {
        return fromFixture(DriverFixture::serverAddress, Optional.empty());
    }

    /**
     * A new driver, like {@link #newDriver()}, that connects to {@code address} instead of
     * {@link #serverAddress()}. The kit closes it after the test.
     */
    protected Driver<ID> newDriverVia(InetSocketAddress address) throws Exception {
        return fixture().newDriverVia(address);
    }

    /** The short lease used by expiry tests: the fixture's {@link DriverFixture#expiryTtl()}, 2 s unless it says more. */
    protected Duration ttl() {
        return fromFixture(DriverFixture::expiryTtl, DriverFixture.DEFAULT_EXPIRY_TTL);
    }

    /** Extra time allowed, beyond the ttl, for an expiry or notification to be observed. */
    protected Duration slack() {
        return Duration.ofSeconds(3);
    }

    /** Lock names the driver must reject with {@link IllegalArgumentException} before any I/O. */
    protected List<ID> invalidIds() {
        return fromFixture(DriverFixture::invalidIds, List.of());
    }

    /** The fixture's value of a default hook, or {@code otherwise} for a subclass that overrides the hooks instead. */
    final <T> T fromFixture(Function<DriverFixture<ID>, T> hook, T otherwise) {
        DriverFixture<ID> fixture;
        try {
            fixture = fixture();
        } catch (IllegalStateException noFixture) {
            return otherwise;
        }
        return hook.apply(fixture);
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
        return closedAfterTest(newDriver());
    }

    /** Closes {@code driver} after the test; returns it. */
    protected final Driver<ID> closedAfterTest(Driver<ID> driver) {
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
