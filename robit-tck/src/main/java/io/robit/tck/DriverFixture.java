package io.robit.tck;

import io.robit.spi.Driver;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * How the conformance kit reaches one backend: make a driver, name a lock, break a lease. Implement
 * it once per backend and return it from {@link ContractSupport#fixture()} in both
 * {@link DriverContract} and {@link MutexContract} subclasses, instead of overriding each hook twice.
 *
 * @param <ID> the driver's lock-name type
 */
public interface DriverFixture<ID> {
    /** See {@link ContractSupport#newDriver()}. */
    Driver<ID> newDriver() throws Exception;

    /** See {@link ContractSupport#newLockId()}. */
    ID newLockId();

    /** See {@link ContractSupport#breakLease(Object)}. */
    void breakLease(ID id) throws Exception;

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
}
