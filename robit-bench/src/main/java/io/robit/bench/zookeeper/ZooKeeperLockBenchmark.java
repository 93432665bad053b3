package io.robit.bench.zookeeper;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.zookeeper.ZooKeeperDriver;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.curator.drivers.AdvancedTracerDriver;
import org.apache.curator.drivers.EventTrace;
import org.apache.curator.drivers.OperationTrace;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * Robit's ZooKeeper driver beside Curator's {@code InterProcessMutex}, on the same server in the
 * same run. A plain harness rather than JMH: the contended handoff latency is measured across
 * threads, which JMH's per-invocation timing cannot express.
 *
 * <p>What it measures, in rounds that alternate the two libraries (and which goes first), so that
 * neither always meets a quieter or busier machine; the table pools the latencies of all rounds
 * and gives the median rate of the rounds:
 * <ul>
 *   <li><b>uncontended</b>: one client, one lock, lock+unlock pairs in a loop for the given time:
 *       pairs/s and the latency of a pair (p50, p99);</li>
 *   <li><b>contended</b>: 4 clients (each its own Curator client, so its own session: 4
 *       "processes"), one lock, each looping lock, a tiny critical section, unlock: acquisitions/s
 *       and the handoff latency, from the moment the holder starts its unlock to the moment the
 *       next holder's lock call returns (p50, p99).</li>
 * </ul>
 * Robit runs with a 10 s ttl (so renewals, every 3.3 s, also run), Curator's lock as it comes.
 * Each run also reports the CPU time the whole JVM (clients and in-process server) spent per
 * operation, which a busy machine distorts less than latency, and the ZooKeeper requests its
 * clients sent per operation (counted by a Curator tracer: every request, background ones and
 * retries included). {@code -Dbench.libraries=robit} runs Robit alone, {@code -Dbench.scenarios=u}
 * (or {@code c}) the uncontended (or contended) scenario alone, for profiling one path.
 *
 * <p>Run it (the in-process server keeps its data in a temporary folder on disk, with ZooKeeper's
 * default fsync of every write):
 * <pre>
 * ./mvnw -q -pl robit-bench -am package -DskipTests
 * java -cp robit-bench/target/benchmarks.jar io.robit.bench.zookeeper.ZooKeeperLockBenchmark [seconds-per-run=5] [rounds=5] [connect-string]
 * </pre>
 * With a connect string it uses that ensemble instead of starting one.
 */
public final class ZooKeeperLockBenchmark {
    private static final int CONTENDERS = 4;
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final int WARM_UP_SECONDS = 5;
    // -Dbench.libraries=robit runs one library only (for before/after comparisons of Robit alone).
    private static final List<String> LIBRARIES = List.of(System.getProperty("bench.libraries", "robit,curator").split(","));
    // -Dbench.scenarios=u (uncontended) or c (contended) runs one scenario only (for profiling one path).
    private static final List<String> SCENARIOS = List.of(System.getProperty("bench.scenarios", "u,c").split(","));
    private static final String UNCONTENDED = "uncontended lock+unlock";
    private static final String CONTENDED = CONTENDERS + " clients, one lock: handoff";

    private ZooKeeperLockBenchmark() {
    }

    /** One way to lock and unlock a named lock from one client. */
    private interface Locker extends AutoCloseable {
        void lock() throws Exception;

        void unlock() throws Exception;

        @Override
        void close();
    }

    /** Result of one run: latencies in nanoseconds and a rate. */
    private record Result(String library, String scenario, long operations, double perSecond, long[] latencies, double cpuMicrosPerOp,
            double requestsPerOp) {
        long percentile(double p) {
            if (latencies.length == 0) {
                return 0;
            }
            return latencies[(int) Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
        }
    }

    /**
     * Runs the benchmark and prints a Markdown table.
     *
     * @param args {@code [seconds per run, default 5] [rounds, default 5] [connect string, default: start an in-process server]}
     */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        TestingServer server = args.length > 2 ? null
                : new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1, Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        String connect = args.length > 2 ? args[2] : server.getConnectString();
        try {
            System.out.printf("ZooKeeper at %s (%s); %d rounds of %d s per library and scenario, alternating; %d contenders%n", connect,
                    server == null ? "external" : "in-process, data on disk in " + server.getTempDirectory(), rounds, seconds, CONTENDERS);
            // Warm up both paths (JIT, connections) without recording.
            for (String library : LIBRARIES) {
                if (SCENARIOS.contains("u")) {
                    uncontended(library, connect, WARM_UP_SECONDS, "warm");
                }
                if (SCENARIOS.contains("c")) {
                    contended(library, connect, WARM_UP_SECONDS, "warm");
                }
            }
            List<Result> results = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                for (String scenario : SCENARIOS) {
                    // Alternate which library goes first, so that neither always meets a warmer or colder machine.
                    List<String> order = round % 2 == 1 || LIBRARIES.size() < 2 ? LIBRARIES : List.of(LIBRARIES.get(1), LIBRARIES.get(0));
                    for (String library : order) {
                        Result r = scenario.equals("u") ? uncontended(library, connect, seconds, "r" + round)
                                : contended(library, connect, seconds, "r" + round);
                        results.add(r);
                        System.out.printf(Locale.ROOT, "round %d %-7s %-32s %7.0f ops/s  p50 %6.2f ms  p99 %6.2f ms  CPU %5.0f us/op  %5.2f requests/op%n", round,
                                library, r.scenario(), r.perSecond(), r.percentile(0.50) / 1e6, r.percentile(0.99) / 1e6, r.cpuMicrosPerOp(),
                                r.requestsPerOp());
                    }
                }
            }
            System.out.println();
            System.out.println("| library | scenario | ops/s (median of rounds) | ops/s (min–max) | p50 ms | p99 ms | CPU µs/op (median) | requests/op (median) |");
            System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
            for (String scenario : List.of(UNCONTENDED, CONTENDED)) {
                for (String library : LIBRARIES) {
                    List<Result> mine = results.stream().filter(r -> r.library().equals(library) && r.scenario().equals(scenario)).toList();
                    if (mine.isEmpty()) {
                        continue;
                    }
                    double[] rates = mine.stream().mapToDouble(Result::perSecond).sorted().toArray();
                    long[] pooled = mine.stream().flatMapToLong(r -> Arrays.stream(r.latencies())).sorted().toArray();
                    Result all = new Result(library, scenario, pooled.length, 0, pooled, 0, 0);
                    double cpu = mine.stream().mapToDouble(Result::cpuMicrosPerOp).sorted().toArray()[mine.size() / 2];
                    double requests = mine.stream().mapToDouble(Result::requestsPerOp).sorted().toArray()[mine.size() / 2];
                    System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.0f–%.0f | %.2f | %.2f | %.0f | %.2f |%n", library, scenario,
                            rates[rates.length / 2], rates[0], rates[rates.length - 1], all.percentile(0.50) / 1e6, all.percentile(0.99) / 1e6, cpu,
                            requests);
                }
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private static Result uncontended(String library, String connect, int seconds, String tag) throws Exception {
        RequestCounter requests = new RequestCounter();
        try (Locker locker = locker(library, connect, "bench-u-" + tag, requests)) {
            long[] latencies = new long[1 << 20];
            int n = 0;
            long requests0 = requests.total();
            long cpu0 = processCpuNanos();
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end && n < latencies.length) {
                long t0 = System.nanoTime();
                locker.lock();
                locker.unlock();
                latencies[n++] = System.nanoTime() - t0;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            double cpu = (processCpuNanos() - cpu0) / 1e3 / Math.max(1, n);
            double perOp = (double) (requests.total() - requests0) / Math.max(1, n);
            long[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            return new Result(library, UNCONTENDED, n, n / elapsed, sorted, cpu, perOp);
        }
    }

    private static Result contended(String library, String connect, int seconds, String tag) throws Exception {
        String lock = "bench-c-" + tag;
        List<Locker> lockers = new ArrayList<>();
        RequestCounter requests = new RequestCounter();
        for (int i = 0; i < CONTENDERS; i++) {
            lockers.add(locker(library, connect, lock, requests));
        }
        AtomicLong releaseStarted = new AtomicLong(0);
        long[][] handoffs = new long[CONTENDERS][1 << 18];
        int[] counts = new int[CONTENDERS];
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CONTENDERS; i++) {
            int me = i;
            Thread t = new Thread(() -> {
                Locker locker = lockers.get(me);
                try {
                    go.await();
                    while (System.nanoTime() < window[1] && counts[me] < handoffs[me].length) {
                        locker.lock();
                        long acquired = System.nanoTime();
                        long released = releaseStarted.get();
                        if (released != 0) {
                            handoffs[me][counts[me]++] = acquired - released;
                        }
                        Thread.onSpinWait();
                        releaseStarted.set(System.nanoTime());
                        locker.unlock();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(library + " contender " + me + " failed", e);
                }
            }, "bench-" + library + "-" + i);
            threads.add(t);
            t.start();
        }
        long requests0 = requests.total();
        long cpu0 = processCpuNanos();
        window[0] = System.nanoTime();
        window[1] = window[0] + TimeUnit.SECONDS.toNanos(seconds);
        go.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(seconds + 60L));
        }
        double elapsed = (System.nanoTime() - window[0]) / 1e9;
        long cpu = processCpuNanos() - cpu0;
        long requestCount = requests.total() - requests0;
        for (Locker locker : lockers) {
            locker.close();
        }
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < CONTENDERS; i++) {
            System.arraycopy(handoffs[i], 0, all, at, counts[i]);
            at += counts[i];
        }
        Arrays.sort(all);
        // Every acquisition but the very first followed a release: count them all as acquisitions.
        return new Result(library, CONTENDED, total + 1L, (total + 1L) / elapsed, all, cpu / 1e3 / (total + 1L),
                (double) requestCount / (total + 1L));
    }

    // CPU time of this whole JVM: clients and the in-process server alike, the same for both libraries.
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Counts the ZooKeeper requests of the clients it is attached to: Curator traces every request
     * it sends (foreground or background, each retry included) as one {@link OperationTrace}.
     */
    static final class RequestCounter extends AdvancedTracerDriver {
        private final LongAdder requests = new LongAdder();

        @Override
        public void addTrace(OperationTrace trace) {
            requests.increment();
        }

        @Override
        public void addEvent(EventTrace trace) {
            // Connection events are not requests.
        }

        long total() {
            return requests.sum();
        }
    }

    private static Locker locker(String library, String connect, String lockName, RequestCounter requests) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connect).sessionTimeoutMs(10_000)
                .connectionTimeoutMs(10_000).retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
        client.getZookeeperClient().setTracerDriver(requests);
        client.start();
        if (!client.blockUntilConnected(10, TimeUnit.SECONDS)) {
            client.close();
            throw new IllegalStateException("no connection to " + connect);
        }
        if (library.equals("curator")) {
            InterProcessMutex mutex = new InterProcessMutex(client, "/bench/curator/" + lockName);
            return new Locker() {
                @Override
                public void lock() throws Exception {
                    mutex.acquire();
                }

                @Override
                public void unlock() throws Exception {
                    mutex.release();
                }

                @Override
                public void close() {
                    client.close();
                }
            };
        }
        ZooKeeperDriver driver = ZooKeeperDriver.create(client);
        Mutex<String> mutex = Mutex.of(lockName, TTL, driver);
        return new Locker() {
            private Held held;

            @Override
            public void lock() throws Exception {
                held = mutex.lock();
            }

            @Override
            public void unlock() {
                held.close();
            }

            @Override
            public void close() {
                driver.close();
                client.close();
            }
        };
    }
}
