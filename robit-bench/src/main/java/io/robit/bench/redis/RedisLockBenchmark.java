package io.robit.bench.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.robit.Mutex;
import io.robit.redis.RedisDriver;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Robit's {@link RedisDriver} beside Redisson's {@code RLock} (watchdog mode: {@code lock()} without
 * a lease time), on the same Redis, in the same run, interleaved, median of the repetitions. A plain
 * {@code main} rather than JMH: the figures that matter here (server commands per operation from
 * {@code INFO commandstats}, client CPU per operation, handoff latency between threads, how long a
 * loss goes unnoticed) are not per-invocation timings.
 *
 * <p>What it measures, for each library:
 * <ol>
 *   <li><b>uncontended</b>: one thread, {@code lock}+{@code unlock} pairs on one name: pairs/s, latency
 *       p50/p99 per pair, server commands per pair (all of {@code INFO commandstats}, so the commands a
 *       Lua script runs count too; EVAL/EVALSHA counted apart), client CPU (the whole JVM) per pair;</li>
 *   <li><b>contended</b>: 4 threads, each with its own client, one lock name, a tiny critical section:
 *       acquisitions/s, handoff latency p50/p99 (the releasing thread's {@code unlock} returns, then
 *       another thread's {@code lock} returns; a handoff that overtook the unlock's reply counts 0),
 *       and the share of acquisitions that went back to the thread that had just released;</li>
 *   <li><b>renewal</b>: 1,000 and 10,000 locks held with a 3 s lease (Robit ttl; Redisson
 *       {@code lockWatchdogTimeout}) for a window: server commands/s, and client CPU per held lock;</li>
 *   <li><b>loss detection</b>: the lock key is deleted behind the holder's back; time until the holder
 *       is told (Robit: {@code onLost}; Redisson has no such notification).</li>
 * </ol>
 *
 * <p>Run (Redis on 127.0.0.1:6379, nothing else busy):
 * <pre>
 * ./mvnw -q -pl robit-bench -am package -DskipTests
 * java -cp robit-bench/target/benchmarks.jar io.robit.bench.redis.RedisLockBenchmark \
 *     [--uri redis://127.0.0.1:6379] [--reps 3] [--pairs 3000] [--contended-seconds 5] \
 *     [--renew-seconds 30] [--renew-locks 1000,10000] [--loss-trials 3]
 * </pre>
 * It prints a Markdown table. Keys it creates carry the prefixes {@code robit-bench:} and
 * {@code redisson-bench:} and are deleted at the end.
 */
public final class RedisLockBenchmark {
    private static final Pattern CALLS = Pattern.compile("cmdstat_([\\w|]+):calls=(\\d+)");
    private static final Duration LONG_TTL = Duration.ofSeconds(30);
    private static final Duration RENEW_TTL = Duration.ofSeconds(3);

    private final String uri;
    private final int reps;
    private final int pairs;
    private final int contendedSeconds;
    private final int renewSeconds;
    private final int[] renewLocks;
    private final int lossTrials;
    private final RedisClient adminClient;
    private final StatefulRedisConnection<String, String> admin;

    private RedisLockBenchmark(Map<String, String> args) {
        this.uri = args.getOrDefault("uri", "redis://127.0.0.1:6379");
        this.reps = Integer.parseInt(args.getOrDefault("reps", "3"));
        this.pairs = Integer.parseInt(args.getOrDefault("pairs", "3000"));
        this.contendedSeconds = Integer.parseInt(args.getOrDefault("contended-seconds", "5"));
        this.renewSeconds = Integer.parseInt(args.getOrDefault("renew-seconds", "30"));
        this.renewLocks = Arrays.stream(args.getOrDefault("renew-locks", "1000,10000").split(",")).mapToInt(Integer::parseInt).toArray();
        this.lossTrials = Integer.parseInt(args.getOrDefault("loss-trials", "3"));
        this.adminClient = RedisClient.create(uri);
        this.admin = adminClient.connect();
    }

    /** Entry point; see the class comment for the arguments. */
    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        RedisLockBenchmark bench = new RedisLockBenchmark(args);
        try {
            bench.run();
        } finally {
            bench.cleanUp();
        }
        System.exit(0);
    }

    private void run() throws Exception {
        System.out.printf("Redis %s at %s; JVM %s; %d cores%n", serverVersion(), uri, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        List<Library> libraries = List.of(new RobitLibrary(uri), new RedissonLibrary(uri));
        Map<String, List<Map<String, Double>>> results = new HashMap<>();
        for (Library library : libraries) {
            results.put(library.name(), new ArrayList<>());
        }
        // Warm both up (JIT, connections) before anything is measured.
        for (Library library : libraries) {
            uncontended(library, Math.max(500, pairs / 3));
            contended(library, 1);
        }
        for (int rep = 0; rep < reps; rep++) {
            List<Library> order = rep % 2 == 0 ? libraries : List.of(libraries.get(1), libraries.get(0));
            for (Library library : order) {
                Map<String, Double> row = new HashMap<>();
                row.putAll(uncontended(library, pairs));
                row.putAll(contended(library, contendedSeconds));
                row.putAll(lossDetection(library));
                results.get(library.name()).add(row);
                System.out.printf("rep %d %s: %s%n", rep + 1, library.name(), format(row));
            }
        }
        for (int locks : renewLocks) {
            for (Library library : libraries) {
                Map<String, Double> row = renewal(library, locks, renewSeconds);
                System.out.printf("renewal %s %d locks: %s%n", library.name(), locks, format(row));
                results.get(library.name()).get(0).putAll(row);
                for (int rep = 1; rep < reps; rep++) {
                    results.get(library.name()).get(rep).putAll(row); // measured once: a 30 s window is already an average
                }
            }
        }
        printTable(libraries, results);
        for (Library library : libraries) {
            library.close();
        }
    }

    // 1. Uncontended lock+unlock, one thread.
    private Map<String, Double> uncontended(Library library, int count) throws Exception {
        try (Library.Client client = library.client(LONG_TTL)) {
            Library.Locker locker = client.locker("uncontended");
            locker.lock();
            locker.unlock(); // connect outside the measurement
            long[] latencies = new long[count];
            Map<String, Long> before = commandCalls();
            long cpuBefore = processCpuNanos();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                locker.lock();
                locker.unlock();
                latencies[i] = System.nanoTime() - t0;
            }
            long elapsed = System.nanoTime() - start;
            long cpu = processCpuNanos() - cpuBefore;
            Map<String, Long> after = commandCalls();
            Arrays.sort(latencies);
            Map<String, Double> row = new HashMap<>();
            row.put("u.pairsPerSec", count / (elapsed / 1e9));
            row.put("u.p50us", latencies[count / 2] / 1e3);
            row.put("u.p99us", latencies[(int) (count * 0.99)] / 1e3);
            row.put("u.cmdsPerPair", (double) totalCalls(before, after) / count);
            row.put("u.scriptsPerPair", (double) (delta(before, after, "evalsha") + delta(before, after, "eval")) / count);
            row.put("u.cpuUsPerPair", cpu / 1e3 / count);
            return row;
        }
    }

    // 2. Four threads, each with its own client, one lock name.
    private Map<String, Double> contended(Library library, int seconds) throws Exception {
        int threads = 4;
        int capacity = 2_000_000;
        long[] acquiredAt = new long[capacity];
        long[] releasedAt = new long[capacity];
        int[] holder = new int[capacity];
        AtomicInteger sequence = new AtomicInteger();
        AtomicInteger inside = new AtomicInteger();
        AtomicLong overlaps = new AtomicLong();
        List<Library.Client> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Library.Locker> lockers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Library.Client client = library.client(LONG_TTL);
                clients.add(client);
                lockers.add(client.locker("contended"));
            }
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch go = new CountDownLatch(1);
            long[] end = new long[1];
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                Library.Locker locker = lockers.get(t);
                done.add(pool.submit(() -> {
                    locker.lock(); // connect outside the measurement
                    locker.unlock();
                    ready.countDown();
                    go.await();
                    while (System.nanoTime() < end[0]) {
                        locker.lock();
                        long at = System.nanoTime();
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        int seq = sequence.getAndIncrement();
                        inside.decrementAndGet();
                        locker.unlock();
                        if (seq < capacity) {
                            acquiredAt[seq] = at;
                            holder[seq] = me;
                            releasedAt[seq] = System.nanoTime();
                        }
                    }
                    return null;
                }));
            }
            ready.await();
            long start = System.nanoTime();
            end[0] = start + TimeUnit.SECONDS.toNanos(seconds);
            go.countDown();
            for (Future<?> f : done) {
                f.get(seconds + 120L, TimeUnit.SECONDS);
            }
            long elapsed = System.nanoTime() - start;
            int n = Math.min(sequence.get(), capacity);
            List<Long> handoffs = new ArrayList<>();
            int barges = 0;
            for (int i = 1; i < n; i++) {
                if (holder[i] == holder[i - 1]) {
                    barges++;
                } else {
                    handoffs.add(Math.max(0, acquiredAt[i] - releasedAt[i - 1]));
                }
            }
            long[] sorted = handoffs.stream().mapToLong(Long::longValue).sorted().toArray();
            Map<String, Double> row = new HashMap<>();
            row.put("c.acqPerSec", n / (elapsed / 1e9));
            row.put("c.handoffP50us", sorted.length == 0 ? Double.NaN : sorted[sorted.length / 2] / 1e3);
            row.put("c.handoffP99us", sorted.length == 0 ? Double.NaN : sorted[(int) (sorted.length * 0.99)] / 1e3);
            row.put("c.bargePct", n <= 1 ? Double.NaN : 100.0 * barges / (n - 1));
            row.put("c.overlaps", (double) overlaps.get());
            return row;
        } finally {
            pool.shutdownNow();
            for (Library.Client client : clients) {
                client.close();
            }
        }
    }

    // 3. Many held locks renewing.
    private Map<String, Double> renewal(Library library, int locks, int seconds) throws Exception {
        try (Library.Client client = library.client(RENEW_TTL)) {
            List<Library.Locker> held = new ArrayList<>(locks);
            for (int i = 0; i < locks; i++) {
                Library.Locker locker = client.locker("renew-" + i);
                locker.lock();
                held.add(locker);
            }
            TimeUnit.MILLISECONDS.sleep(RENEW_TTL.toMillis()); // let the renewal schedule settle
            Map<String, Long> before = commandCalls();
            long cpuBefore = processCpuNanos();
            long start = System.nanoTime();
            TimeUnit.SECONDS.sleep(seconds);
            double elapsed = (System.nanoTime() - start) / 1e9;
            long cpu = processCpuNanos() - cpuBefore;
            Map<String, Long> after = commandCalls();
            int stillHeld = 0;
            for (Library.Locker locker : held) {
                if (locker.isHeld()) {
                    stillHeld++;
                    locker.unlock();
                }
            }
            Map<String, Double> row = new HashMap<>();
            String key = "r" + locks + ".";
            row.put(key + "cmdsPerSec", totalCalls(before, after) / elapsed);
            row.put(key + "cmdsPerLockSec", totalCalls(before, after) / elapsed / locks);
            row.put(key + "cpuUsPerLockSec", cpu / 1e3 / elapsed / locks);
            row.put(key + "cpuPct", 100.0 * cpu / 1e9 / elapsed);
            row.put(key + "stillHeld", (double) stillHeld);
            return row;
        }
    }

    // 4. The key is deleted behind the holder's back.
    private Map<String, Double> lossDetection(Library library) throws Exception {
        List<Long> noticed = new ArrayList<>();
        for (int trial = 0; trial < lossTrials; trial++) {
            try (Library.Client client = library.client(RENEW_TTL)) {
                CompletableFuture<Long> told = new CompletableFuture<>();
                Library.Locker locker = client.locker("loss-" + trial, () -> told.complete(System.nanoTime()));
                locker.lock();
                // Delete at a random point of the renewal cycle.
                TimeUnit.MILLISECONDS.sleep(200 + (long) (Math.random() * RENEW_TTL.toMillis() / 3));
                long deleted = System.nanoTime(); // taken before DEL: the holder may notice before DEL's reply arrives
                admin.sync().del(client.lockKey("loss-" + trial));
                Long at = null;
                try {
                    at = told.get(RENEW_TTL.toMillis() * 2, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException never) {
                    // not told within two TTLs
                }
                noticed.add(at == null ? Long.MAX_VALUE : at - deleted);
                if (locker.isHeld()) {
                    locker.unlock();
                }
            }
        }
        long[] sorted = noticed.stream().mapToLong(Long::longValue).sorted().toArray();
        Map<String, Double> row = new HashMap<>();
        long median = sorted[sorted.length / 2];
        row.put("l.noticedMs", median == Long.MAX_VALUE ? Double.NaN : median / 1e6);
        row.put("l.maxMs", sorted[sorted.length - 1] == Long.MAX_VALUE ? Double.NaN : sorted[sorted.length - 1] / 1e6);
        return row;
    }

    private void printTable(List<Library> libraries, Map<String, List<Map<String, Double>>> results) {
        String[][] metrics = {
            {"u.pairsPerSec", "uncontended lock+unlock, pairs/s", "%.0f"},
            {"u.p50us", "uncontended pair latency p50 (µs)", "%.0f"},
            {"u.p99us", "uncontended pair latency p99 (µs)", "%.0f"},
            {"u.cmdsPerPair", "server commands per pair (commandstats, incl. inside scripts)", "%.1f"},
            {"u.scriptsPerPair", "of which EVAL/EVALSHA (round trips that run a script)", "%.1f"},
            {"u.cpuUsPerPair", "client CPU per pair (µs, whole JVM)", "%.0f"},
            {"c.acqPerSec", "4 clients, one lock: acquisitions/s", "%.0f"},
            {"c.handoffP50us", "handoff latency p50 (µs)", "%.0f"},
            {"c.handoffP99us", "handoff latency p99 (µs)", "%.0f"},
            {"c.bargePct", "acquisitions back to the thread that just released (%)", "%.0f"},
            {"c.overlaps", "mutual-exclusion violations seen", "%.0f"},
        };
        StringBuilder table = new StringBuilder();
        table.append("\n| metric | ").append(libraries.get(0).name()).append(" | ").append(libraries.get(1).name()).append(" | ratio |\n|---|---|---|---|\n");
        for (String[] metric : metrics) {
            appendRow(table, libraries, results, metric[0], metric[1], metric[2]);
        }
        for (int locks : renewLocks) {
            String key = "r" + locks + ".";
            appendRow(table, libraries, results, key + "cmdsPerSec", String.format(Locale.ROOT, "%,d held locks, ttl 3 s: server commands/s", locks), "%.0f");
            appendRow(table, libraries, results, key + "cmdsPerLockSec", "  server commands per held lock per second", "%.2f");
            appendRow(table, libraries, results, key + "cpuUsPerLockSec", "  client CPU per held lock per second (µs)", "%.1f");
            appendRow(table, libraries, results, key + "cpuPct", "  client CPU (% of one core)", "%.1f");
            appendRow(table, libraries, results, key + "stillHeld", "  locks still held at the end", "%.0f");
        }
        appendRow(table, libraries, results, "l.noticedMs", "key deleted behind the holder: holder told after (ms, median)", "%.0f");
        appendRow(table, libraries, results, "l.maxMs", "  slowest of the trials (ms)", "%.0f");
        System.out.println(table);
    }

    private static void appendRow(StringBuilder table, List<Library> libraries, Map<String, List<Map<String, Double>>> results, String key,
            String label, String format) {
        double a = median(results.get(libraries.get(0).name()), key);
        double b = median(results.get(libraries.get(1).name()), key);
        table.append("| ").append(label).append(" | ").append(show(a, format)).append(" | ").append(show(b, format)).append(" | ")
                .append(Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "—" : String.format(Locale.ROOT, "%.2f×", a / b)).append(" |\n");
    }

    private static String show(double value, String format) {
        return Double.isNaN(value) ? "never" : String.format(Locale.ROOT, format, value);
    }

    private static double median(List<Map<String, Double>> rows, String key) {
        double[] values = rows.stream().map(r -> r.get(key)).filter(v -> v != null).mapToDouble(Double::doubleValue).sorted().toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        if (Arrays.stream(values).anyMatch(Double::isNaN)) {
            return Double.NaN;
        }
        return values[values.length / 2];
    }

    private static String format(Map<String, Double> row) {
        StringBuilder out = new StringBuilder();
        row.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.append(e.getKey()).append('=').append(String.format(Locale.ROOT, "%.1f", e.getValue())).append(' '));
        return out.toString();
    }

    private String serverVersion() {
        Matcher m = Pattern.compile("redis_version:(\\S+)").matcher(admin.sync().info("server"));
        return m.find() ? m.group(1) : "?";
    }

    private Map<String, Long> commandCalls() {
        Map<String, Long> calls = new HashMap<>();
        Matcher matcher = CALLS.matcher(admin.sync().info("commandstats"));
        while (matcher.find()) {
            calls.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return calls;
    }

    /** All commands between the two readings except the benchmark's own INFO. */
    private static long totalCalls(Map<String, Long> before, Map<String, Long> after) {
        long total = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            if (!e.getKey().equals("info")) {
                total += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        return total;
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String command) {
        return after.getOrDefault(command, 0L) - before.getOrDefault(command, 0L);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private void cleanUp() {
        for (String prefix : List.of("robit-bench:*", "redisson-bench:*", "redisson_lock__channel*")) {
            List<String> keys = admin.sync().keys(prefix);
            if (!keys.isEmpty()) {
                admin.sync().del(keys.toArray(String[]::new));
            }
        }
        admin.close();
        adminClient.shutdown();
    }

    /** One lock library under test. */
    private interface Library extends AutoCloseable {
        String name();

        /** A new client (its own connections), whose locks last {@code ttl} unless renewed. */
        Client client(Duration ttl) throws Exception;

        @Override
        default void close() {
        }

        interface Client extends AutoCloseable {
            default Locker locker(String name) {
                return locker(name, () -> { });
            }

            Locker locker(String name, Runnable onLost);

            String lockKey(String name);

            @Override
            void close();
        }

        interface Locker {
            void lock() throws Exception;

            void unlock();

            boolean isHeld();
        }
    }

    private record RobitLibrary(String uri) implements Library {
        @Override
        public String name() {
            return "Robit";
        }

        @Override
        public Client client(Duration ttl) {
            RedisDriver driver = RedisDriver.open(uri + "?keyPrefix=robit-bench:");
            return new Client() {
                @Override
                public Locker locker(String name, Runnable onLost) {
                    Mutex<String> mutex = Mutex.builder(name, ttl, driver).onLost(onLost).build();
                    return new Locker() {
                        @Override
                        public void lock() throws InterruptedException {
                            mutex.lock();
                        }

                        @Override
                        public void unlock() {
                            mutex.unlock();
                        }

                        @Override
                        public boolean isHeld() {
                            return mutex.isHeld();
                        }
                    };
                }

                @Override
                public String lockKey(String name) {
                    return driver.lockKey(name);
                }

                @Override
                public void close() {
                    driver.close();
                }
            };
        }
    }

    private record RedissonLibrary(String uri) implements Library {
        @Override
        public String name() {
            return "Redisson";
        }

        @Override
        public Client client(Duration ttl) {
            Config config = new Config();
            config.useSingleServer().setAddress(uri);
            config.setLockWatchdogTimeout(ttl.toMillis());
            RedissonClient redisson = Redisson.create(config);
            return new Client() {
                @Override
                public Locker locker(String name, Runnable onLost) {
                    // Redisson has no loss notification: onLost can never be called.
                    RLock lock = redisson.getLock("redisson-bench:" + name);
                    return new Locker() {
                        @Override
                        public void lock() {
                            lock.lock(); // watchdog mode: no lease time
                        }

                        @Override
                        public void unlock() {
                            lock.unlock();
                        }

                        @Override
                        public boolean isHeld() {
                            return lock.isHeldByCurrentThread();
                        }
                    };
                }

                @Override
                public String lockKey(String name) {
                    return "redisson-bench:" + name;
                }

                @Override
                public void close() {
                    redisson.shutdown();
                }
            };
        }
    }
}
