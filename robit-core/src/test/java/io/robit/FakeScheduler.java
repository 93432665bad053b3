package io.robit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A scheduler that runs nothing until told to: {@link #advance} moves its {@link FakeTicker} and
 * runs, on the calling thread and in time order, every task that has come due (tasks scheduled by
 * those tasks included). {@code execute} runs at once. Periodic scheduling is not supported.
 */
final class FakeScheduler extends AbstractExecutorService implements ScheduledExecutorService {
    private final FakeTicker ticker;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong scheduled = new AtomicLong();
    private final PriorityQueue<Task<?>> queue = new PriorityQueue<>(
            Comparator.<Task<?>>comparingLong(t -> t.due).thenComparingLong(t -> t.order));

    FakeScheduler(FakeTicker ticker) {
        this.ticker = ticker;
    }

    /** Moves time on by {@code by}, running each task as its time comes. */
    void advance(Duration by) {
        long end = ticker.read() + by.toNanos();
        while (true) {
            Task<?> next;
            lock.lock();
            try {
                next = queue.peek();
                if (next == null || next.due - end > 0) {
                    break;
                }
                queue.poll();
            } finally {
                lock.unlock();
            }
            long gap = next.due - ticker.read();
            if (gap > 0) {
                ticker.advance(Duration.ofNanos(gap));
            }
            next.run();
        }
        long rest = end - ticker.read();
        if (rest > 0) {
            ticker.advance(Duration.ofNanos(rest));
        }
    }

    /** Runs the tasks due now, without moving time. */
    void runDue() {
        advance(Duration.ZERO);
    }

    /** {@return how many tasks were ever scheduled} */
    long scheduled() {
        return scheduled.get();
    }

    /** {@return how many tasks wait, cancelled ones excluded} */
    int pending() {
        lock.lock();
        try {
            return (int) queue.stream().filter(t -> !t.isCancelled()).count();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return add(new Task<>(() -> {
            command.run();
            return null;
        }, unit.toNanos(delay)));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return add(new Task<>(callable, unit.toNanos(delay)));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException("not used by Robit");
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("not used by Robit");
    }

    @Override
    public void execute(Runnable command) {
        command.run();
    }

    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return new ArrayList<>();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return false;
    }

    private <V> Task<V> add(Task<V> task) {
        scheduled.incrementAndGet();
        lock.lock();
        try {
            queue.add(task);
        } finally {
            lock.unlock();
        }
        return task;
    }

    private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
        final long due;
        final long order = sequence.incrementAndGet();

        Task(Callable<V> callable, long delayNanos) {
            super(callable);
            this.due = ticker.read() + Math.max(0, delayNanos);
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(due - ticker.read(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            lock.lock();
            try {
                queue.remove(this);
            } finally {
                lock.unlock();
            }
            return cancelled;
        }
    }
}
