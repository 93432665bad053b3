package io.robit.spring;

import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import org.springframework.integration.support.locks.ExpirableLockRegistry;

/**
 * Spring Integration's {@code LockRegistry} on any Robit backend: code written for
 * {@code RedisLockRegistry} or {@code JdbcLockRegistry} (and {@code LockRegistryLeaderInitiator}'s
 * leader election) switches by changing one bean.
 *
 * <p>{@link #obtain(Object)} returns the same {@link Lock} for the same key until
 * {@link #expireUnusedOlderThan(long) expired}. Each lock is held through a Robit mutex, so its
 * lease is renewed in the background for as long as it is held (there is no
 * {@code renewLock} to call) and a loss is logged by Robit and seen by the holder at its next
 * nested {@code tryLock} or at {@code unlock}.
 *
 * <p><b>Reentrancy.</b> Like Spring's registries, and unlike {@link io.robit.Mutex#asLock()}, a
 * lock from this registry is reentrant per thread: the holding thread may lock it again (without
 * asking the backend) and the backend lock is released at the matching last {@code unlock()}.
 * One difference from Spring's: if the Robit hold was lost, a nested lock call does not count on
 * top of the lost hold. It gives up the thread's whole hold, and then {@code tryLock} returns
 * false and {@code lock}/{@code lockInterruptibly} throw {@link io.robit.LockLostException}; the
 * next call competes anew. So a lost lock is never carried on by a hold count, and
 * {@code LockRegistryLeaderInitiator}, which re-locks at every heartbeat, revokes leadership at
 * the first heartbeat after a loss. {@code unlock()} of a lost hold throws
 * {@link io.robit.AlreadyReleasedException}. Thread-safe.
 */
public final class RobitLockRegistry implements ExpirableLockRegistry<Lock> {
    private final Driver<String> driver;
    private final Duration ttl;
    private final Map<String, RegistryLock> locks = new ConcurrentHashMap<>();

    /**
     * @param driver the backend; not closed by this registry
     * @param ttl the lease length of every lock, from 1 ms to 100 years (as for a {@link Mutex})
     */
    public RobitLockRegistry(Driver<String> driver, Duration ttl) {
        this.driver = Objects.requireNonNull(driver, "driver must not be null");
        // The Mutex builder's own bounds (1 ms to 100 years), checked now rather than at every lock call.
        Mutex.builder("ttl check", Objects.requireNonNull(ttl, "ttl must not be null"), driver);
        this.ttl = ttl;
    }

    /**
     * The lock for {@code lockKey}, a {@code String} the backend can store as a lock name.
     *
     * @throws IllegalArgumentException the key is not a String, or the backend cannot store it
     */
    @Override
    public Lock obtain(Object lockKey) {
        Objects.requireNonNull(lockKey, "lockKey must not be null");
        if (!(lockKey instanceof String key)) {
            throw new IllegalArgumentException("lockKey must be a String, got " + lockKey.getClass().getName() + ": " + lockKey);
        }
        return locks.computeIfAbsent(key, k -> {
            driver.validate(k);
            return new RegistryLock(k, ttl, driver);
        });
    }

    /** Forgets the locks that no thread holds and that were last locked or unlocked more than {@code age} ms ago. */
    @Override
    public void expireUnusedOlderThan(long age) {
        long now = System.nanoTime();
        long ageNanos = Duration.ofMillis(age).toNanos();
        locks.values().removeIf(lock -> !lock.isLocked() && now - lock.lastUsedNanos() > ageNanos);
    }

    @Override
    public String toString() {
        return "RobitLockRegistry[" + driver + ", ttl=" + ttl + ", " + locks.size() + " locks]";
    }
}
