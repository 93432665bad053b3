package io.robit.bench.core;

import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What N callers waiting for one lock with {@code Mutex.lockAsync()} cost in threads: one holder
 * keeps the lock (ttl 60 s) while N mutexes over one driver wait for it. Prints the JVM's live
 * threads before the waiters, while they all wait, and the peak; the acquire attempts made during
 * a quiet period while the lock stays held (0 means nobody polls); then releases the lock and
 * prints how long until one waiter had it, cancels the rest and checks that nothing stays held.
 *
 * <p>Run: {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.core.AsyncWaiters URI 10000 10}
 * (backend URI, e.g. {@code local:bench} or {@code redis://127.0.0.1:6379?keyPrefix=robit-bench:};
 * waiters; quiet seconds). {@code zookeeper:embedded} starts an in-process ZooKeeper server first.
 */
public final class AsyncWaiters {
    private AsyncWaiters() {
    }

    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "local:bench";
        org.apache.curator.test.TestingServer zookeeper = null;
        if (uri.equals("zookeeper:embedded")) {
            zookeeper = new org.apache.curator.test.TestingServer(true);
            uri = "zookeeper://" + zookeeper.getConnectString();
        }
        int waiters = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int quietSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Duration ttl = Duration.ofSeconds(60);
        String name = "async-waiters-" + System.nanoTime();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (Driver<String> holderDriver = Drivers.open(uri); Driver<String> opened = Drivers.open(uri)) {
            Counting driver = new Counting(opened);
            // Warm up: the driver's connections and the core's pools exist before the count starts.
            Mutex<String> warm = Mutex.of(name + "-warm", ttl, driver);
            warm.lockAsync().get(30, TimeUnit.SECONDS).close();
            Held held = Mutex.of(name, ttl, holderDriver).lock();
            Mutex<String> one = Mutex.of(name, ttl, driver);
            CompletableFuture<Held> first = one.lockAsync();
            waitUntil(() -> driver.waits.get() >= 1);
            int before = threads.getThreadCount();
            threads.resetPeakThreadCount();

            long start = System.nanoTime();
            List<CompletableFuture<Held>> pending = new ArrayList<>(waiters);
            pending.add(first);
            for (int i = 1; i < waiters; i++) {
                pending.add(Mutex.of(name, ttl, driver).lockAsync());
            }
            waitUntil(() -> driver.waits.get() >= waiters);
            double startSeconds = (System.nanoTime() - start) / 1e9;
            // Let wake-ups from subscription confirmations settle, then count attempts in a quiet period.
            TimeUnit.SECONDS.sleep(2);
            long attemptsBefore = driver.attempts.get();
            TimeUnit.SECONDS.sleep(quietSeconds);
            long quietAttempts = driver.attempts.get() - attemptsBefore;
            int during = threads.getThreadCount();
            int peak = threads.getPeakThreadCount();
            long notDone = pending.stream().filter(f -> !f.isDone()).count();

            long released = System.nanoTime();
            held.close();
            Held winner = (Held) CompletableFuture.anyOf(pending.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
            double handoffMs = (System.nanoTime() - released) / 1e6;
            pending.forEach(f -> f.cancel(true));
            winner.close();
            for (CompletableFuture<Held> f : pending) {
                if (f.isDone() && !f.isCancelled() && !f.isCompletedExceptionally()) {
                    f.join().close();
                }
            }
            Optional<Held> after = Optional.empty();
            for (int i = 0; i < 100 && after.isEmpty(); i++) {
                after = Mutex.of(name, ttl, holderDriver).tryLock(Duration.ofSeconds(1));
            }
            System.out.printf("backend=%s waiters=%d started-in=%.1fs threads-before=%d threads-while-waiting=%d peak=%d "
                            + "added=%d attempts-in-%ds-quiet=%d waiting-at-release=%d first-handoff=%.0fms lock-free-after-cancel=%s%n",
                    uri.replaceAll("//[^@/]*@", "//"), waiters, startSeconds, before, during, peak, peak - before, quietSeconds,
                    quietAttempts, notDone, handoffMs, after.isPresent());
            after.ifPresent(Held::close);
        }
        System.exit(0);
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not reached within 5 minutes");
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    /** Counts acquire attempts and asynchronous waits; delegates on the calling thread. */
    private static final class Counting implements Driver<String> {
        final Driver<String> delegate;
        final AtomicLong attempts = new AtomicLong();
        final AtomicLong waits = new AtomicLong();

        Counting(Driver<String> delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            attempts.incrementAndGet();
            return delegate.acquire(id, ttl, timeout);
        }

        @Override
        public void release(Lease lease) {
            delegate.release(lease);
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            delegate.awaitRelease(id, maxWait);
        }

        @Override
        public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
            waits.incrementAndGet();
            return delegate.awaitReleaseAsync(id, maxWait);
        }

        @Override
        public void validate(String id) {
            delegate.validate(id);
        }
    }
}
