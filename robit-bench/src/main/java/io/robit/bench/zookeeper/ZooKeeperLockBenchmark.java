package io.robit.bench.zookeeper;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.zookeeper.ZooKeeperDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;

/**
 * Robit's ZooKeeper driver beside Curator's {@code InterProcessMutex}, on the same server in the
 * same run. A plain harness rather than JMH: the contended handoff latency is measured across
 * threads, which JMH's per-invocation timing cannot express.
 *
 * <p>What it measures, for each library in turn (Robit, Curator, Robit, Curator, so that neither
 * always runs on a colder or warmer server):
 * <ul>
 *   <li><b>uncontended</b>: one client, one lock, lock+unlock pairs in a loop for the given time:
 *       pairs/s and the latency of a pair (p50, p99);</li>
 *   <li><b>contended</b>: 4 clients (each its own Curator client, so its own session: 4
 *       "processes"), one lock, each looping lock, a tiny critical section, unlock: acquisitions/s
 *       and the handoff latency, from the moment the holder starts its unlock to the moment the
 *       next holder's lock call returns (p50, p99).</li>
 * </ul>
 * Robit runs with a 10 s ttl (so renewals, every 3.3 s, also run), Curator's lock as it comes.
 *
 * <p>Run it (the in-process server keeps its data in a temporary folder on disk, with ZooKeeper's
 * default fsync of every write):
 * <pre>
 * ./mvnw -q -pl robit-bench -am package -DskipTests
 * java -cp robit-bench/target/benchmarks.jar io.robit.bench.zookeeper.ZooKeeperLockBenchmark [seconds-per-run] [connect-string]
 * </pre>
 * With a connect string it uses that ensemble instead of starting one.
 */
public final class ZooKeeperLockBenchmark {
    private static final int CONTENDERS = 4;
    private static final Duration TTL = Duration.ofSeconds(10);

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
    private record Result(String library, String scenario, long operations, double perSecond, long[] latencies) {
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
     * @param args {@code [seconds per run, default 10] [connect string, default: start an in-process server]}
     */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        TestingServer server = args.length > 1 ? null : new TestingServer(true);
        String connect = args.length > 1 ? args[1] : server.getConnectString();
        try {
            System.out.printf("ZooKeeper at %s (%s), %d s per run, %d contenders%n", connect,
                    server == null ? "external" : "in-process, data in " + server.getTempDirectory(), seconds, CONTENDERS);
            // Warm up both paths (JIT, connections) without recording.
            uncontended("robit", connect, 2, "warm-r");
            uncontended("curator", connect, 2, "warm-c");
            contended("robit", connect, 2, "warm-r");
            contended("curator", connect, 2, "warm-c");
            List<Result> results = new ArrayList<>();
            for (int round = 1; round <= 2; round++) {
                for (String library : List.of("robit", "curator")) {
                    results.add(uncontended(library, connect, seconds, "u" + round));
                    results.add(contended(library, connect, seconds, "c" + round));
                }
            }
            System.out.println();
            System.out.println("| library | scenario | ops | ops/s | p50 ms | p99 ms |");
            System.out.println("|---|---|---:|---:|---:|---:|");
            for (Result r : results) {
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %.0f | %.2f | %.2f |%n", r.library(), r.scenario(), r.operations(), r.perSecond(),
                        r.percentile(0.50) / 1e6, r.percentile(0.99) / 1e6);
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private static Result uncontended(String library, String connect, int seconds, String tag) throws Exception {
        try (Locker locker = locker(library, connect, "bench-u-" + tag)) {
            long[] latencies = new long[1 << 20];
            int n = 0;
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end && n < latencies.length) {
                long t0 = System.nanoTime();
                locker.lock();
                locker.unlock();
                latencies[n++] = System.nanoTime() - t0;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            long[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            return new Result(library, "uncontended lock+unlock", n, n / elapsed, sorted);
        }
    }

    private static Result contended(String library, String connect, int seconds, String tag) throws Exception {
        String lock = "bench-c-" + tag;
        List<Locker> lockers = new ArrayList<>();
        for (int i = 0; i < CONTENDERS; i++) {
            lockers.add(locker(library, connect, lock));
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
        window[0] = System.nanoTime();
        window[1] = window[0] + TimeUnit.SECONDS.toNanos(seconds);
        go.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(seconds + 60L));
        }
        double elapsed = (System.nanoTime() - window[0]) / 1e9;
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
        return new Result(library, CONTENDERS + " clients, one lock (handoff)", total + 1L, (total + 1L) / elapsed, all);
    }

    private static Locker locker(String library, String connect, String lockName) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connect).sessionTimeoutMs(10_000)
                .connectionTimeoutMs(10_000).retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
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
