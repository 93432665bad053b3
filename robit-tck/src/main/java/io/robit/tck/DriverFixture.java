package io.robit.tck;

import io.robit.spi.Driver;
import io.robit.spi.LeaseSession;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How the conformance kit reaches one backend: make a driver, name a lock, break a lease. Implement
 * it once per backend and return it from {@link DriverConformance#openFixture()}; the kit opens it
 * once per conformance class, shares it between every contract, and closes it at the end (so a
 * fixture that starts servers starts them once). It is used from many test threads at once.
 *
 * @param <ID> the driver's lock-name type
 */
public interface DriverFixture<ID> extends AutoCloseable {
    /** The expiry tests' lease unless the backend grants no lease that short: 2 s. */
    Duration DEFAULT_EXPIRY_TTL = Duration.ofSeconds(2);

    /** The outage contract's lease unless a fixture needs a longer one: 3 s. */
    Duration DEFAULT_OUTAGE_TTL = Duration.ofSeconds(3);

    /** See {@link ContractSupport#newDriver()}. */
    Driver<ID> newDriver() throws Exception;

    /** See {@link ContractSupport#newLockId()}. */
    ID newLockId();

    /** See {@link ContractSupport#breakLease(Object)}. */
    void breakLease(ID id) throws Exception;

    /** See {@link ContractSupport#endSession(LeaseSession)}. */
    default void endSession(LeaseSession session) throws Exception {
        throw new UnsupportedOperationException("this fixture cannot end a session; a driver whose leases are"
                + " io.robit.spi.SessionLease must say how (DriverFixture.endSession), for SessionLeaseContract");
    }

    /** See {@link ContractSupport#serverAddress()}. */
    default Optional<InetSocketAddress> serverAddress() {
        return Optional.empty();
    }

    /** See {@link ContractSupport#newDriverVia(InetSocketAddress)}. */
    default Driver<ID> newDriverVia(InetSocketAddress address) throws Exception {
        throw new UnsupportedOperationException("no serverAddress(), so no driver through a proxy");
    }

    /** See {@link ContractSupport#invalidIds()}. */
    default List<ID> invalidIds() {
        return List.of();
    }

    /**
     * The short lease of the expiry tests (see {@link ContractSupport#ttl()}): longer for a backend
     * that grants nothing shorter (an etcd whose election timeout makes its minimum lease 4 s), so
     * that those tests wait for the lease the backend really granted.
     */
    default Duration expiryTtl() {
        return DEFAULT_EXPIRY_TTL;
    }

    /**
     * The lease of the outage contract's holds (see {@link SafetyContract#outageTtl()}): short, so
     * the losses come soon; longer for a backend whose every renewal is slow (an SQLite file).
     */
    default Duration outageTtl() {
        return DEFAULT_OUTAGE_TTL;
    }

    /** Stops what the fixture started (servers, admin clients) and removes its test data. Default: nothing. */
    @Override
    default void close() throws Exception {
    }
}
