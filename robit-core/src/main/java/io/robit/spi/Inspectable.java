package io.robit.spi;

import java.util.List;
import java.util.Optional;

/**
 * An optional driver capability: report who holds a lock, for operators. Drivers that can
 * implement it beside {@link Driver}; callers test with {@code instanceof}.
 *
 * @param <ID> the type of lock names
 */
public interface Inspectable<ID> {
    /**
     * What the backend knows of lock {@code id}; empty if it has never heard of it.
     *
     * @throws io.robit.DriverException the backend failed
     * @param id the lock name
     * @return what the backend says of the lock, or empty
     */
    Optional<LockInfo> inspect(ID id);

    /**
     * Every lock the backend knows of (held ones at least), in name order.
     *
     * @throws io.robit.DriverException the backend failed
     * @throws UnsupportedOperationException the backend cannot enumerate its locks
     * @return every lock the backend knows, by name
     */
    List<LockInfo> list();
}
