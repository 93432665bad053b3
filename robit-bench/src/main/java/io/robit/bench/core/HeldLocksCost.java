package io.robit.bench.core;

import io.robit.Mutex;
import io.robit.local.LocalDriver;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What it costs to keep many locks held: N mutexes on the in-memory driver, each renewing every
 * second (ttl 3 s), for a measured period after a warm-up. Prints the process CPU time used per
 * second of wall time (as a share of one core), renewals per second, and whether every lock stayed
 * held. The driver's work per renewal is a map lookup, so this is Robit's own scheduling cost.
 *
 * <p>Run: {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.core.HeldLocksCost 10000 30}
 * (locks, measured seconds).
 */
public final class HeldLocksCost {
    private HeldLocksCost() {
    }

    public static void main(String[] args) throws Exception {
        int locks = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        LocalDriver<String> driver = LocalDriver.create();
        List<Mutex<String>> held = new ArrayList<>(locks);
        for (int i = 0; i < locks; i++) {
            Mutex<String> m = Mutex.builder("held-" + i, Duration.ofSeconds(3), driver).renewPeriod(Duration.ofSeconds(1)).build();
            m.tryLock().orElseThrow();
            held.add(m);
        }
        TimeUnit.SECONDS.sleep(5);
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long renewalsBefore = renewals(held);
        long cpuBefore = os.getProcessCpuTime();
        long wallBefore = System.nanoTime();
        TimeUnit.SECONDS.sleep(seconds);
        long cpu = os.getProcessCpuTime() - cpuBefore;
        long wall = System.nanoTime() - wallBefore;
        long renewed = renewals(held) - renewalsBefore;
        long stillHeld = held.stream().filter(Mutex::isHeld).count();
        long lost = held.stream().mapToLong(m -> m.stats().lockLost()).sum();
        System.out.printf("locks=%d seconds=%d cpu=%.2f%% of one core renewals/s=%.0f cpu-per-renewal=%.1f us held=%d lost=%d%n",
                locks, seconds, 100.0 * cpu / wall, renewed * 1e9 / wall, renewed == 0 ? 0 : cpu / 1000.0 / renewed, stillHeld, lost);
        for (Mutex<String> m : held) {
            m.unlock();
        }
    }

    private static long renewals(List<Mutex<String>> held) {
        return held.stream().mapToLong(m -> m.stats().renewSuccess()).sum();
    }
}
