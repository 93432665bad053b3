package io.robit.bench.core;

import io.robit.Mutex;
import io.robit.MutexListener;
import io.robit.local.LocalDriver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The core's own cost of one {@code tryLock()} + {@code unlock()} on the in-memory driver, single
 * threaded: claiming the mutex, the hold's renewal and deadline timers, stats, and (with
 * {@code listener=counting}) lifecycle events. The driver's work is a map put and remove.
 *
 * <p>Run: {@code ./mvnw -q -B -pl robit-bench -am -DskipTests package && java -jar robit-bench/target/benchmarks.jar LockUnlockBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LockUnlockBenchmark {
    /** none: no MutexListener; counting: one listener that counts events. */
    @Param({"none", "counting"})
    public String listener;

    private Mutex<String> mutex;

    @Setup
    public void setUp() {
        Mutex.Builder<String> builder = Mutex.builder("bench", Duration.ofSeconds(30), LocalDriver.<String>create());
        if (listener.equals("counting")) {
            builder.listener(new Counting());
        }
        mutex = builder.build();
    }

    @Benchmark
    public long tryLockUnlock() throws InterruptedException {
        long token = mutex.tryLock().orElseThrow().fencingToken();
        mutex.unlock();
        return token;
    }

    /** A listener that does the least a real one would: count. */
    static final class Counting implements MutexListener {
        long events;

        @Override
        public void acquireStarted(Mutex<?> mutex) {
            events++;
        }

        @Override
        public void acquired(Mutex<?> mutex, long fencingToken, Duration waited) {
            events++;
        }

        @Override
        public void released(Mutex<?> mutex, Duration heldFor) {
            events++;
        }
    }
}
