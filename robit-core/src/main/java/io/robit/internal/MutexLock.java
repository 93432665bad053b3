package io.robit.internal;

import io.robit.AlreadyHeldException;
import io.robit.Mutex;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link Lock} view of a {@link Mutex} ({@link Mutex#asLock()}).
 *
 * <p>Threads of this JVM that share the view queue on a local fair lock first, so a second thread
 * waits for the first one's {@code unlock()} instead of getting the mutex's
 * {@link AlreadyHeldException}; the thread that holds the local lock then takes the distributed
 * one. The view is not reentrant: the holding thread calling {@code lock()} again gets
 * {@code AlreadyHeldException} (a silent self-deadlock would be worse), and only that thread may
 * unlock, as with {@link ReentrantLock}. Thread-safe.
 */
public final class MutexLock implements Lock {
    private final Mutex<?> mutex;
    // Local queue for the threads of this JVM; it also knows which thread holds the view.
    private final ReentrantLock local = new ReentrantLock(true);

    public MutexLock(Mutex<?> mutex) {
        this.mutex = Objects.requireNonNull(mutex, "mutex");
    }

    /** Waits until held; an interrupt is remembered and re-asserted once the lock is held. */
    @Override
    public void lock() {
        boolean interrupted = false;
        while (true) {
            try {
                lockInterruptibly();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
        refuseReentry();
        local.lockInterruptibly();
        boolean held = false;
        try {
            mutex.lock();
            held = true;
        } finally {
            if (!held) {
                local.unlock();
            }
        }
    }

    /** One attempt; false when another thread or process holds the lock, or when interrupted (the flag is kept). */
    @Override
    public boolean tryLock() {
        refuseReentry();
        if (!local.tryLock()) {
            return false;
        }
        boolean held = false;
        try {
            held = mutex.tryLock().isPresent();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!held) {
                local.unlock();
            }
        }
        return held;
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        refuseReentry();
        long start = System.nanoTime();
        long waitNanos = Math.max(0, unit.toNanos(time));
        if (!local.tryLock(waitNanos, TimeUnit.NANOSECONDS)) {
            return false;
        }
        boolean held = false;
        try {
            long left = Math.max(0, waitNanos - (System.nanoTime() - start));
            held = mutex.tryLock(Duration.ofNanos(left)).isPresent();
        } finally {
            if (!held) {
                local.unlock();
            }
        }
        return held;
    }

    /**
     * Releases the distributed lock, then the local one.
     *
     * @throws IllegalMonitorStateException the calling thread does not hold this lock
     * @throws io.robit.AlreadyReleasedException the hold was lost before this unlock (the local
     *     lock is released all the same): the work done under it may have overlapped another holder
     */
    @Override
    public void unlock() {
        if (!local.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("lock '" + mutex.id() + "' is not held by this thread");
        }
        try {
            mutex.unlock();
        } finally {
            local.unlock();
        }
    }

    /** Unsupported: a condition would need a wait/notify channel across processes, which no backend offers. */
    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("newCondition() is not supported by the Lock view of distributed lock '" + mutex.id()
                + "': waiting on a condition would need signals across processes; use a local lock for conditions");
    }

    @Override
    public String toString() {
        return "MutexLock[" + mutex.id() + ", held=" + mutex.isHeld() + "]";
    }

    private void refuseReentry() {
        if (local.isHeldByCurrentThread()) {
            throw new AlreadyHeldException(mutex.id());
        }
    }
}
