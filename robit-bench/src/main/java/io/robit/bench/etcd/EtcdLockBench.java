package io.robit.bench.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.etcd.EtcdDriver;
import io.robit.testsupport.EtcdServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Robit's {@link EtcdDriver} (by default, and with {@code minTrustedFraction(1)}: a keep-alive on every acquire) beside jetcd's own {@code Lock} client (one lease per client, kept alive
 * by jetcd's lease observer), on the same etcd server in the same run. A plain {@code main} rather
 * than JMH: the measures are latency percentiles across several clients and a loss notification,
 * which JMH's per-thread loops do not express.
 *
 * <p>It measures, for each of the two:
 * <ul>
 *   <li><b>uncontended</b>: one client locks and unlocks one lock in a loop; pairs/s and the latency
 *       of one lock+unlock pair (p50, p99). One thread interleaves the clients pair by pair, so that
 *       all see the same load at each moment; a client's rate is its pairs over the time spent in
 *       its own calls;</li>
 *   <li><b>contended</b>: {@code --clients} clients (each its own connection, as separate processes
 *       would be) take turns on one lock with an empty critical section; acquisitions/s and the
 *       handoff, the time from the holder starting its unlock to the next holder having the lock
 *       (p50, p99); the wait, from a client calling {@code lock()} to having it (p50, p99, max), and
 *       the share of acquisitions by the client that held the lock last (fair hand-off: about
 *       1/{@code clients} or less; a releaser that barges ahead of the waiters: near 100%);</li>
 *   <li><b>loss</b>: an operator revokes the holder's lease ({@code --trials} times, at a random
 *       moment); the time until the holder is told ({@code Held.lost()} completes, or jetcd's
 *       keep-alive observer reports an error);</li>
 *   <li><b>held</b>: {@code --held} locks (1,000) held with a 3 s lease on one client, for
 *       {@code --seconds} after {@code --warmup}: the requests etcd receives per second and the
 *       client's CPU ({@link HeldLocks}).</li>
 * </ul>
 * {@code --only uncontended|contended|loss|held} runs one scenario.
 * Each scenario runs in {@code --rounds} rounds (the contended one with the clients alternating
 * round by round), so that all see the same background load on a shared machine; the rate is the
 * median of the rounds, the percentiles pool all rounds.
 *
 * <p>Run it (it starts {@code /usr/bin/etcd} on free loopback ports with its data on {@code /dev/shm},
 * unless given {@code --endpoint host:port}):
 * <pre>
 * ./mvnw -q -pl robit-bench -am package -DskipTests
 * java -cp robit-bench/target/benchmarks.jar io.robit.bench.etcd.EtcdLockBench --rounds 5 --seconds 6 --warmup 3 --clients 4 --trials 15
 * </pre>
 * It prints a Markdown table.
 */
public final class EtcdLockBench {
    // Shared by the bench's threads; contention on it is negligible next to the pauses it picks.
    private static final java.util.Random PAUSES = new java.util.Random();

    /** The lease of the throughput scenarios, for both clients (Robit's acquire timeout is a third of it). */
    private static final Duration TTL = Duration.ofSeconds(10);
    /** The lease of the loss scenario, for both: etcd's minimum, the fastest jetcd's observer can notice. */
    private static final Duration LOSS_TTL = Duration.ofSeconds(2);

    private final String endpoint;
    private final Duration measure;
    private final Duration warmup;
    private final int clients;
    private final int trials;
    private final int rounds;
    private final int heldLocks;
    private final String only;
    private final List<String> rows = new ArrayList<>();

    private EtcdLockBench(String endpoint, Duration measure, Duration warmup, int clients, int trials, int rounds, int heldLocks, String only) {
        this.rounds = rounds;
        this.heldLocks = heldLocks;
        this.only = only;
        this.endpoint = endpoint;
        this.measure = measure;
        this.warmup = warmup;
        this.clients = clients;
        this.trials = trials;
    }

    /** Options: {@code --endpoint host:port}, {@code --etcd /usr/bin/etcd}, {@code --rounds 5} (alternating rounds per scenario,
     * so both clients see the same load on a shared machine), {@code --seconds 15} (per round), {@code --warmup 3},
     * {@code --clients 4}, {@code --trials 15}, {@code --held 1000}, {@code --only held} (one scenario). */
    public static void main(String[] args) throws Exception {
        String endpoint = null;
        String binary = "/usr/bin/etcd";
        int seconds = 6;
        int warmup = 3;
        int clients = 4;
        int trials = 15;
        int rounds = 5;
        int held = 1_000;
        String only = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--endpoint" -> endpoint = value;
                case "--etcd" -> binary = value;
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--clients" -> clients = Integer.parseInt(value);
                case "--trials" -> trials = Integer.parseInt(value);
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--held" -> held = Integer.parseInt(value);
                case "--only" -> only = value;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        EtcdServer server = endpoint == null ? EtcdServer.start(binary) : null;
        try {
            EtcdLockBench bench = new EtcdLockBench(server != null ? server.endpoint() : endpoint, Duration.ofSeconds(seconds),
                    Duration.ofSeconds(warmup), clients, trials, rounds, held, only);
            bench.run();
        } finally {
            if (server != null) {
                server.close();
            }
        }
        System.exit(0);
    }

    private void run() throws Exception {
        System.out.printf("etcd %s, %d rounds of %d s per scenario and client (alternating), after %d s warm-up; %d contending clients;"
                + " ttl %s; %d loss trials each with ttl %s%n%n", endpoint, rounds, measure.toSeconds(), warmup.toSeconds(), clients, TTL, trials,
                LOSS_TTL);
        List<LockSystem> systems = List.of(new RobitSystem(false), new RobitSystem(true), new JetcdSystem());
        if (runs("uncontended")) {
            uncontended(systems);
        }
        if (runs("contended")) {
            contended(systems);
        }
        if (runs("loss")) {
            loss();
        }
        if (!rows.isEmpty()) {
            System.out.println("| scenario | client | rate (median of rounds) | p50 | p99 | max |");
            System.out.println("|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
        }
        if (runs("held") && heldLocks > 0) {
            List<String> held = new HeldLocks(endpoint).run(heldLocks, warmup, measure, rounds);
            System.out.println();
            System.out.println("| scenario | client | server requests/s (rounds) | per lock per second | client CPU, % of a core (rounds) | still held |");
            System.out.println("|---|---|---|---|---|---|");
            held.forEach(System.out::println);
        }
    }

    private boolean runs(String scenario) {
        return only == null || only.equals(scenario);
    }

    // --- uncontended: one client per system, one lock each, lock+unlock pairs interleaved across systems ---

    private void uncontended(List<LockSystem> systems) throws Exception {
        List<LockClient> opened = new ArrayList<>();
        try {
            for (LockSystem system : systems) {
                opened.add(system.open(name("uncontended")));
            }
            interleave(opened, warmup);
            List<List<Samples>> results = new ArrayList<>();
            systems.forEach(s -> results.add(new ArrayList<>()));
            for (int round = 0; round < rounds; round++) {
                List<Samples> perSystem = interleave(opened, measure);
                for (int i = 0; i < systems.size(); i++) {
                    results.get(i).add(perSystem.get(i));
                }
            }
            for (int i = 0; i < systems.size(); i++) {
                rows.add(Samples.pooled(results.get(i)).row("uncontended lock+unlock pair", systems.get(i).name(), "pairs/s",
                        Samples.medianRate(results.get(i))));
            }
        } finally {
            for (LockClient client : opened) {
                client.close();
            }
        }
    }

    /**
     * One thread does one lock+unlock pair on each client in turn, for {@code duration}, so that all
     * clients see the same moment-to-moment load; each client's rate is its pairs over the time spent
     * in its own calls.
     */
    private static List<Samples> interleave(List<LockClient> clients, Duration duration) throws Exception {
        List<LongList> samples = new ArrayList<>();
        long[] spent = new long[clients.size()];
        clients.forEach(c -> samples.add(new LongList()));
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            for (int i = 0; i < clients.size(); i++) {
                long before = System.nanoTime();
                clients.get(i).lock();
                clients.get(i).unlock();
                long took = System.nanoTime() - before;
                samples.get(i).add(took);
                spent[i] += took;
            }
        }
        List<Samples> result = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            result.add(new Samples(samples.get(i).toArray(), spent[i]));
        }
        return result;
    }

    // --- contended: `clients` clients take turns on one lock ---

    private void contended(List<LockSystem> systems) throws Exception {
        List<List<LockClient>> opened = new ArrayList<>();
        try {
            for (LockSystem system : systems) {
                String lock = name("contended");
                List<LockClient> group = new ArrayList<>();
                opened.add(group);
                for (int c = 0; c < clients; c++) {
                    group.add(system.open(lock));
                }
                contend(group, warmup);
            }
            List<List<Samples>> results = new ArrayList<>();
            List<List<Samples>> waits = new ArrayList<>();
            long[] again = new long[systems.size()];
            systems.forEach(s -> {
                results.add(new ArrayList<>());
                waits.add(new ArrayList<>());
            });
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < systems.size(); i++) {
                    Contended measured = contend(opened.get(i), measure);
                    results.get(i).add(measured.handoffs());
                    waits.get(i).add(measured.waits());
                    again[i] += measured.reacquired();
                }
            }
            for (int i = 0; i < systems.size(); i++) {
                rows.add(Samples.pooled(results.get(i)).row("contended, " + clients + " clients: acquisitions; handoff latency",
                        systems.get(i).name(), "acq/s", Samples.medianRate(results.get(i))));
                Samples pooledWaits = Samples.pooled(waits.get(i));
                rows.add(pooledWaits.row("contended, " + clients + " clients: wait, lock() call to held; share taken by the client that held it last",
                        systems.get(i).name(), "", String.format(Locale.ROOT, "%.1f%% re-acquired by the releaser (%d of %d)",
                                100.0 * again[i] / Math.max(1, pooledWaits.nanos().length), again[i], pooledWaits.nanos().length)));
            }
        } finally {
            for (List<LockClient> group : opened) {
                for (LockClient client : group) {
                    client.close();
                }
            }
        }
    }

    /**
     * Each client loops lock, unlock; a handoff is the time from a holder starting its unlock to the
     * next holder having the lock, a wait the time from a client calling {@code lock()} to having it;
     * an acquisition is a re-acquisition when the client held the lock last (it won against clients
     * that were already waiting, or nobody waited).
     */
    private Contended contend(List<LockClient> group, Duration duration) throws Exception {
        AtomicLong releasedAt = new AtomicLong();
        AtomicLong lastHolder = new AtomicLong(-1);
        AtomicLong reacquired = new AtomicLong();
        LongList handoffs = new LongList();
        LongList waits = new LongList();
        ExecutorService pool = Executors.newFixedThreadPool(group.size());
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < group.size(); c++) {
                LockClient client = group.get(c);
                long self = c;
                done.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        long called = System.nanoTime();
                        client.lock();
                        long in = System.nanoTime();
                        long previous = releasedAt.get();
                        synchronized (handoffs) {
                            if (previous != 0) {
                                handoffs.add(in - previous);
                            }
                            waits.add(in - called);
                        }
                        if (lastHolder.getAndSet(self) == self) {
                            reacquired.incrementAndGet();
                        }
                        releasedAt.set(System.nanoTime());
                        client.unlock();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(duration.toSeconds() + 60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long elapsed = System.nanoTime() - start;
        return new Contended(new Samples(handoffs.toArray(), elapsed), new Samples(waits.toArray(), elapsed), reacquired.get());
    }

    /** One round of the contended scenario. */
    private record Contended(Samples handoffs, Samples waits, long reacquired) {
    }

    // --- loss: an operator revokes the holder's lease; how long until the holder is told ---

    private void loss() throws Exception {
        LongList robit = new LongList();
        LongList jetcd = new LongList();
        try (EtcdDriver driver = newDriver(); Client client = newClient(); Client admin = newClient()) {
            for (int t = 0; t < trials; t++) {
                robit.add(lossRobit(driver, admin));
                jetcd.add(lossJetcd(client, admin));
            }
        }
        rows.add(new Samples(robit.toArray(), 0).row("loss: lease revoked, until the holder is told", "Robit EtcdDriver: Held.lost()", "", ""));
        rows.add(new Samples(jetcd.toArray(), 0).row("loss: lease revoked, until the holder is told", "jetcd lease observer: onError", "", ""));
    }

    private long lossRobit(EtcdDriver driver, Client admin) throws Exception {
        String lock = name("loss");
        Held held = Mutex.of(lock, LOSS_TTL, driver).lock();
        KeyValue kv = admin.getKVClient().get(bytes(EtcdDriver.DEFAULT_KEY_PREFIX + lock)).get().getKvs().get(0);
        Thread.sleep(PAUSES.nextLong(100, 800));
        long start = System.nanoTime();
        admin.getLeaseClient().revoke(kv.getLease()).get();
        held.lost().exceptionally(e -> null).get(10, TimeUnit.SECONDS);
        return System.nanoTime() - start;
    }

    private long lossJetcd(Client client, Client admin) throws Exception {
        long leaseId = client.getLeaseClient().grant(LOSS_TTL.toSeconds()).get().getID();
        CountDownLatch told = new CountDownLatch(1);
        CloseableClient keepAlive = client.getLeaseClient().keepAlive(leaseId, observer(told));
        try {
            client.getLockClient().lock(bytes(name("loss")), leaseId).get();
            Thread.sleep(PAUSES.nextLong(100, 800));
            long start = System.nanoTime();
            admin.getLeaseClient().revoke(leaseId).get();
            if (!told.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("jetcd's lease observer did not report the revoked lease in 10 s");
            }
            return System.nanoTime() - start;
        } finally {
            keepAlive.close();
        }
    }

    // --- the two clients ---

    private interface LockClient extends AutoCloseable {
        void lock() throws Exception;

        void unlock() throws Exception;

        @Override
        void close();
    }

    private interface LockSystem {
        String name();

        /** A new client of its own connection (a separate "process") on lock {@code lockName}. */
        LockClient open(String lockName) throws Exception;
    }

    /** Robit: a {@link Mutex} over its own {@link EtcdDriver}. */
    private final class RobitSystem implements LockSystem {
        private final boolean strict;

        RobitSystem(boolean strict) {
            this.strict = strict;
        }

        @Override
        public String name() {
            return "Robit EtcdDriver (Mutex.lock/unlock)" + (strict ? ", minTrustedFraction 1 (keep-alive on every acquire)" : "");
        }

        @Override
        public LockClient open(String lockName) {
            EtcdDriver driver = EtcdDriver.builder("etcd://" + endpoint).minTrustedFraction(strict ? 1.0 : EtcdDriver.DEFAULT_MIN_TRUSTED_FRACTION).build();
            Mutex<String> mutex = Mutex.of(lockName, TTL, driver);
            return new LockClient() {
                @Override
                public void lock() throws Exception {
                    mutex.lock();
                }

                @Override
                public void unlock() {
                    mutex.unlock();
                }

                @Override
                public void close() {
                    driver.close();
                }
            };
        }
    }

    /** jetcd: its own Client, one lease per client kept alive by jetcd, Lock.lock/unlock. */
    private final class JetcdSystem implements LockSystem {
        @Override
        public String name() {
            return "jetcd Lock (lease per client)";
        }

        @Override
        public LockClient open(String lockName) throws Exception {
            Client client = newClient();
            long leaseId = client.getLeaseClient().grant(TTL.toSeconds()).get().getID();
            CloseableClient keepAlive = client.getLeaseClient().keepAlive(leaseId, observer(new CountDownLatch(1)));
            ByteSequence name = bytes(lockName);
            return new LockClient() {
                private ByteSequence key;

                @Override
                public void lock() throws Exception {
                    key = client.getLockClient().lock(name, leaseId).get().getKey();
                }

                @Override
                public void unlock() throws Exception {
                    client.getLockClient().unlock(key).get();
                }

                @Override
                public void close() {
                    keepAlive.close();
                    client.close();
                }
            };
        }
    }

    private EtcdDriver newDriver() {
        return EtcdDriver.builder("etcd://" + endpoint).build();
    }

    private Client newClient() {
        return Client.builder().endpoints("http://" + endpoint).build();
    }

    private static String name(String scenario) {
        return "bench-" + scenario + "-" + UUID.randomUUID();
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static StreamObserver<LeaseKeepAliveResponse> observer(CountDownLatch told) {
        return new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse response) {
            }

            @Override
            public void onError(Throwable error) {
                told.countDown();
            }

            @Override
            public void onCompleted() {
                told.countDown();
            }
        };
    }

    private static final class LongList {
        private long[] values = new long[1024];
        private int size;

        void add(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    private record Samples(long[] nanos, long elapsedNanos) {
        Samples {
            nanos = nanos.clone();
            Arrays.sort(nanos);
        }

        static Samples pooled(List<Samples> parts) {
            LongList all = new LongList();
            long elapsed = 0;
            for (Samples part : parts) {
                for (long n : part.nanos) {
                    all.add(n);
                }
                elapsed += part.elapsedNanos;
            }
            return new Samples(all.toArray(), elapsed);
        }

        static String medianRate(List<Samples> rounds) {
            double[] rates = rounds.stream().mapToDouble(Samples::rate).sorted().toArray();
            double median = rates.length % 2 == 1 ? rates[rates.length / 2] : (rates[rates.length / 2 - 1] + rates[rates.length / 2]) / 2;
            StringBuilder all = new StringBuilder();
            for (Samples round : rounds) {
                all.append(all.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", round.rate()));
            }
            return String.format(Locale.ROOT, "%.0f (rounds: %s)", median, all);
        }

        double rate() {
            return nanos.length / (elapsedNanos / 1e9);
        }

        /** A table row; with no {@code unit}, the rate column shows {@code rate} as given, or the sample count when that is empty. */
        String row(String scenario, String client, String unit, String rate) {
            String shown = unit.isEmpty() ? (rate.isEmpty() ? "n=" + nanos.length : rate) : rate + " " + unit;
            return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |", scenario, client, shown, ms(percentile(0.50)),
                    ms(percentile(0.99)), ms(nanos.length == 0 ? 0 : nanos[nanos.length - 1]));
        }

        private long percentile(double p) {
            if (nanos.length == 0) {
                return 0;
            }
            int index = (int) Math.ceil(p * nanos.length) - 1;
            return nanos[Math.max(0, Math.min(nanos.length - 1, index))];
        }

        private static String ms(long nanos) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
    }
}
