package io.robit.internal;

import io.robit.Held;
import io.robit.Leadership;
import io.robit.LossReason;
import io.robit.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One term of leadership: the hold behind it, the thread running the {@code onElected} work, and
 * the single transition to ended (resigned or revoked). Thread-safe. Not API.
 */
public final class ElectedTerm implements Leadership {
    private final Held held;
    private final Ticker ticker;
    private final long startNanos;
    private final Consumer<ElectedTerm> onResign;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final CompletableFuture<Void> workDone = new CompletableFuture<>();
    // Guards `worker` and `stopRequested`, so an interrupt never reaches a thread after its work returned.
    private final ReentrantLock workLock = new ReentrantLock();
    private Thread worker;
    private boolean stopRequested;

    /**
     * @param ticker the election's clock, which {@link #age()} reads
     * @param onResign called once when {@link #close()} ends this term
     */
    public ElectedTerm(Held held, Ticker ticker, Consumer<ElectedTerm> onResign) {
        this.held = held;
        this.ticker = ticker;
        this.startNanos = ticker.read();
        this.onResign = onResign;
    }

    @Override
    public long term() {
        return held.fencingToken();
    }

    @Override
    public long fencingToken() {
        return held.fencingToken();
    }

    @Override
    public Instant acquiredAt() {
        return held.acquiredAt();
    }

    @Override
    public boolean isLost() {
        return held.isLost();
    }

    @Override
    public Optional<LossReason> lossReason() {
        return held.lossReason();
    }

    @Override
    public CompletableFuture<Void> lost() {
        return held.lost();
    }

    @Override
    public void close() {
        onResign.accept(this);
    }

    /** The hold behind this term. */
    public Held held() {
        return held;
    }

    /** How long this term has lasted so far. */
    public Duration age() {
        return Duration.ofNanos(ticker.read() - startNanos);
    }

    /** Marks the term ended; true for the first caller only. */
    public boolean end() {
        return ended.compareAndSet(false, true);
    }

    /** Whether the term still stands: not ended, not lost, local deadline not passed. */
    public boolean isActive() {
        return !ended.get() && !held.isLost();
    }

    /** Runs the leadership work on the calling thread; {@link #stopWork()} interrupts it. */
    public void runWork(Runnable work) {
        workLock.lock();
        try {
            worker = Thread.currentThread();
            if (stopRequested) {
                worker.interrupt();
            }
        } finally {
            workLock.unlock();
        }
        try {
            work.run();
        } finally {
            workLock.lock();
            try {
                worker = null;
                Thread.interrupted(); // our interrupt must not outlive the work
            } finally {
                workLock.unlock();
            }
            workDone.complete(null);
        }
    }

    /** Marks that there is no leadership work to run. */
    public void noWork() {
        workDone.complete(null);
    }

    /** Interrupts the leadership work if it is still running (and is not the calling thread). */
    public void stopWork() {
        workLock.lock();
        try {
            stopRequested = true;
            if (worker != null && worker != Thread.currentThread()) {
                worker.interrupt();
            }
        } finally {
            workLock.unlock();
        }
    }

    /** Whether the calling thread is running this term's work. */
    public boolean isWorkThread() {
        workLock.lock();
        try {
            return worker == Thread.currentThread();
        } finally {
            workLock.unlock();
        }
    }

    /** Completes when the leadership work has returned (at once when there was none). */
    public CompletableFuture<Void> workDone() {
        return workDone;
    }

    /** Waits up to {@code max} for the work to return; false if it did not. */
    public boolean awaitWork(Duration max) {
        try {
            workDone.get(max.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "Leadership[term=" + term() + ", active=" + isActive() + "]";
    }
}
