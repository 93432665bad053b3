package io.robit.spring;

import io.robit.AlreadyReleasedException;
import io.robit.Held;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock of a {@link RobitLockRegistry}: a local reentrant lock (so the threads of this JVM queue
 * locally, and its owner may re-enter) over one Robit hold, taken with a new mutex at the first
 * level and released at the last unlock. Thread-safe.
 */
final class RegistryLock implements Lock {
    private final String key;
    private final Duration ttl;
    private final Driver<String> driver;
    private final ReentrantLock local = new ReentrantLock();
    // Written only by the thread that holds `local`.
    private volatile Held held;
    private volatile long lastUsedNanos = System.nanoTime();

    RegistryLock(String key, Duration ttl, Driver<String> driver) {
        this.key = key;
        this.ttl = ttl;
        this.driver = driver;
    }

    @Override
    public void lock() {
        boolean interrupted = false;
        while (true) {
            try {
                lockInterruptibly();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // Lock.lock() is not interruptible: keep waiting, re-assert the flag once held
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** @throws LockLostException this thread re-entered a lock whose hold was lost; its whole hold was given up */
    @Override
    public void lockInterruptibly() throws InterruptedException {
        acquire(Long.MAX_VALUE, true, true);
    }

    @Override
    public boolean tryLock() {
        try {
            return acquire(0, false, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        return acquire(Math.max(0, unit.toNanos(time)), true, false);
    }

    @Override
    public void unlock() {
        if (!local.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("lock '" + key + "' is not held by this thread (if it was, its hold was lost and given up)");
        }
        lastUsedNanos = System.nanoTime();
        if (local.getHoldCount() > 1) {
            local.unlock();
            return;
        }
        Held current = held;
        held = null;
        try {
            // Close first, then ask: a loss that lands between a check and the close would otherwise go untold.
            current.close();
            if (current.isLost()) {
                throw new AlreadyReleasedException(key, "the hold was lost (" + current.lossReason().map(Enum::name).orElse("unknown")
                        + ") before unlock: the work done under it may have overlapped another holder");
            }
        } finally {
            local.unlock();
        }
    }

    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("newCondition() is not supported by Robit lock '" + key + "': a condition would need signals across processes");
    }

    boolean isLocked() {
        return local.isLocked();
    }

    long lastUsedNanos() {
        return lastUsedNanos;
    }

    @Override
    public String toString() {
        return "RobitLockRegistry.Lock[" + key + ", held=" + (held != null && !held.isLost()) + "]";
    }

    private boolean acquire(long waitNanos, boolean interruptibly, boolean mustHold) throws InterruptedException {
        long start = System.nanoTime();
        if (local.isHeldByCurrentThread()) {
            Held current = held;
            if (current != null && !current.isLost()) {
                local.lock(); // re-entry by the owner: never blocks
                lastUsedNanos = System.nanoTime();
                return true;
            }
            // The hold under this thread's locks was lost: give all of it up, so that no hold
            // count carries a lost lock on; the next call competes anew.
            while (local.isHeldByCurrentThread()) {
                local.unlock();
            }
            held = null;
            lastUsedNanos = System.nanoTime();
            if (mustHold) {
                throw new LockLostException(key, current != null ? current.lossReason().orElse(LossReason.GONE) : LossReason.GONE,
                        "this thread locked it again after its hold was lost; the thread's whole hold was given up");
            }
            return false;
        }
        boolean gotLocal = interruptibly ? local.tryLock(waitNanos, TimeUnit.NANOSECONDS) : local.tryLock();
        if (!gotLocal) {
            return false;
        }
        boolean ok = false;
        try {
            long left = Math.max(0, waitNanos - (System.nanoTime() - start));
            Mutex<String> mutex = Mutex.of(key, ttl, driver);
            Optional<Held> hold = left == 0 ? mutex.tryLock() : mutex.tryLock(Duration.ofNanos(left));
            if (hold.isPresent()) {
                held = hold.get();
                lastUsedNanos = System.nanoTime();
                ok = true;
            }
            return ok;
        } finally {
            if (!ok) {
                local.unlock();
            }
        }
    }
}
