package io.robit.bench.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import io.robit.Mutex;
import io.robit.redis.RedisDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Where a lock library's client CPU goes, thread by thread (Linux only: it reads
 * {@code /proc/self/task}), for one of the two figures {@link RedisLockBenchmark} measures for the
 * whole JVM: N locks held with a 3 s lease ({@code held}), or uncontended lock+unlock pairs on one
 * thread ({@code pairs}). The window starts after a warm-up (for {@code pairs}, 20,000 pairs), so
 * the JIT compiler's share, which dominates a short window, can be told apart from the library's
 * own threads (its I/O event loop, its timer) and the calling thread ({@code java} is the main
 * thread). For {@code pairs}, {@code lettuce} is the floor under a client on Lettuce: two {@code GET}s
 * on one synchronous Lettuce connection per "pair", the two round trips with no lock library.
 *
 * <pre>
 * java -cp robit-bench/target/benchmarks.jar io.robit.bench.redis.RedisThreadCpu \
 *     redis://127.0.0.1:6379 held|pairs robit|redisson|lettuce LOCKS SECONDS [WARMUP_SECONDS]
 * </pre>
 * Keys carry the prefixes {@code robit-cpu:} and {@code redisson-cpu:}; the locks are released at the end.
 */
public final class RedisThreadCpu {
    private static final long NANOS_PER_TICK = 10_000_000L; // /proc counts CPU time in ticks of 1/100 s

    private RedisThreadCpu() {
    }

    /** Entry point; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        boolean held = args[1].equals("held");
        boolean robit = args[2].equals("robit");
        int locks = held ? Integer.parseInt(args[3]) : 1;
        int seconds = Integer.parseInt(args[4]);
        int warmup = args.length > 5 ? Integer.parseInt(args[5]) : 4;
        Duration ttl = Duration.ofSeconds(held ? 3 : 30);
        List<Locker> lockers = new ArrayList<>();
        AutoCloseable client;
        if (args[2].equals("lettuce")) {
            if (held) {
                throw new IllegalArgumentException("lettuce is a floor for pairs only: it holds no locks");
            }
            RedisClient lettuce = RedisClient.create(uri);
            RedisCommands<String, String> sync = lettuce.connect().sync();
            client = lettuce::shutdown;
            lockers.add(new Locker(() -> sync.get("lettuce-cpu:floor"), () -> sync.get("lettuce-cpu:floor"), () -> false));
        } else if (robit) {
            RedisDriver driver = RedisDriver.open(uri + "?keyPrefix=robit-cpu:");
            client = driver;
            for (int i = 0; i < locks; i++) {
                Mutex<String> mutex = Mutex.of("cpu-" + i, ttl, driver);
                lockers.add(new Locker(mutex::lock, mutex::unlock, mutex::isHeld));
            }
        } else {
            Config config = new Config();
            config.useSingleServer().setAddress(uri);
            config.setLockWatchdogTimeout(ttl.toMillis());
            RedissonClient redisson = Redisson.create(config);
            client = redisson::shutdown;
            for (int i = 0; i < locks; i++) {
                RLock lock = redisson.getLock("redisson-cpu:cpu-" + i);
                lockers.add(new Locker(lock::lock, lock::unlock, lock::isHeldByCurrentThread));
            }
        }
        long count = 0;
        Map<String, Long> before;
        long start;
        long cpuBefore;
        if (held) {
            for (Locker locker : lockers) {
                locker.lock.run();
            }
            TimeUnit.SECONDS.sleep(warmup);
            before = threadCpu();
            cpuBefore = processCpu();
            start = System.nanoTime();
            TimeUnit.SECONDS.sleep(seconds);
        } else {
            Locker locker = lockers.get(0);
            for (int i = 0; i < 20_000; i++) {
                locker.lock.run();
                locker.unlock.run();
            }
            before = threadCpu();
            cpuBefore = processCpu();
            start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                for (int i = 0; i < 100; i++) {
                    locker.lock.run();
                    locker.unlock.run();
                }
                count += 100;
            }
        }
        long wall = System.nanoTime() - start;
        long cpu = processCpu() - cpuBefore;
        Map<String, Long> after = threadCpu();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        String unit;
        double per;
        if (held) {
            long still = lockers.stream().filter(locker -> locker.held.getAsBoolean()).count();
            System.out.printf("%s, %d locks held: client CPU %.2f%% of a core, %d still held at the end (Redisson: by its own account), load average %.1f%n",
                    args[2], locks, 100.0 * cpu / wall, still, load);
            unit = "ms of CPU per s";
            per = wall / 1e9 * 1e6;
        } else {
            System.out.printf("%s, uncontended pairs: %d in %.1f s, client CPU %.1f us per pair, load average %.1f%n", args[2], count,
                    wall / 1e9, cpu / 1e3 / count, load);
            unit = "us of CPU per pair";
            per = count * 1e3;
        }
        Map<String, Long> byThread = new HashMap<>();
        after.forEach((thread, nanos) -> byThread.merge(thread.replaceFirst("#\\d+$", ""), nanos - before.getOrDefault(thread, 0L), Long::sum));
        double scale = per;
        byThread.entrySet().stream().filter(e -> e.getValue() > 0).sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(10)
                .forEach(e -> System.out.printf("  %-20s %8.2f %s%n", e.getKey(), e.getValue() / scale, unit));
        for (Locker locker : lockers) {
            try {
                locker.unlock.run();
            } catch (RuntimeException alreadyReleased) {
                // pairs mode ends unlocked
            }
        }
        client.close();
        System.exit(0);
    }

    /** CPU time per thread (name#tid), in ns, at tick resolution. */
    static Map<String, Long> threadCpu() {
        Map<String, Long> cpu = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    cpu.put(name + "#" + task.getFileName(), (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("per-thread CPU needs Linux's /proc/self/task", e);
        }
        return cpu;
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private record Locker(Action lock, Runnable unlock, java.util.function.BooleanSupplier held) {
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }
}
