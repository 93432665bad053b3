package io.robit.tck;

import io.robit.spi.Driver;
import java.util.List;

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

    /** See {@link ContractSupport#invalidIds()}. */
    default List<ID> invalidIds() {
        return List.of();
    }
}
