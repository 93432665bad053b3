package io.robit.bench.jdbc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plain harness beside {@link JdbcLockBenchmark}: N clients (threads, each a {@link LockClient}
 * with its own pool and driver/registry, as N processes) lock and unlock one lock name for a fixed
 * time. Reports acquisitions per second and how they were spread over the clients (a lock that
 * lets one client keep re-taking it scores high and starves the rest), alternating Robit and
 * Spring rounds so the shared machine's load falls on both alike; prints the median per impl, with
 * the longest any one lock call waited (a starved client shows there).
 *
 * <p>Needs PostgreSQL (see {@link LockClient}). Run:
 * {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.jdbc.JdbcContention [seconds=10] [rounds=3] [clients=4] [holdMs=0] [thinkMs=0]}
 * where each client holds the lock {@code holdMs} and then works {@code thinkMs} without it before
 * asking again (0 and 0: a tight loop, in which the client that just unlocked often re-takes it).
 */
public final class JdbcContention {
    private JdbcContention() {
    }

    /** Entry point; arguments: seconds per round, rounds, clients, hold ms, think ms. */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        long holdMillis = args.length > 3 ? Long.parseLong(args[3]) : 0;
        long thinkMillis = args.length > 4 ? Long.parseLong(args[4]) : 0;
        List<String> impls = List.of("robit", "spring");
        double[][] rates = new double[impls.size()][rounds];
        double[][] minShares = new double[impls.size()][rounds];
        double[][] longestWaits = new double[impls.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < impls.size(); i++) {
                long[] longest = new long[1];
                long[] counts = run(impls.get(i), clients, seconds, holdMillis, thinkMillis, longest);
                long total = Arrays.stream(counts).sum();
                longestWaits[i][round] = longest[0] / 1e6;
                rates[i][round] = total / (double) seconds;
                minShares[i][round] = total == 0 ? 0 : Arrays.stream(counts).min().orElse(0) / (double) total;
                System.out.printf(Locale.ROOT, "round %d %-6s %d clients: %8.1f acquisitions/s, per client %s, longest wait %.1f ms%n",
                        round + 1, impls.get(i), clients, rates[i][round], Arrays.toString(counts), longestWaits[i][round]);
            }
        }
        System.out.printf(Locale.ROOT, "%n| impl | clients | hold / think | acquisitions/s (median of %d × %d s) | least-served client's share (median) "
                + "| longest wait of one lock call (median) |%n|---|---|---|---|---|---|%n", rounds, seconds);
        for (int i = 0; i < impls.size(); i++) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d ms / %d ms | %.0f | %.1f%% | %.1f ms |%n", impls.get(i), clients, holdMillis, thinkMillis,
                    median(rates[i]), 100 * median(minShares[i]), median(longestWaits[i]));
        }
    }

    /** One round; {@code longest[0]} gets the longest lock call (wait, hold and unlock) measured, in nanoseconds. */
    private static long[] run(String impl, int clients, int seconds, long holdMillis, long thinkMillis, long[] longest) throws Exception {
        String name = "contention-" + UUID.randomUUID();
        List<LockClient> opened = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            opened.add(new LockClient(impl));
        }
        AtomicLong[] counts = new AtomicLong[clients];
        AtomicLong longestNanos = new AtomicLong();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch ready = new CountDownLatch(clients);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            LockClient client = opened.get(c);
            AtomicLong count = counts[c] = new AtomicLong();
            client.lockUnlock(name); // warm: connections, statements, the LISTEN connection
            Thread thread = new Thread(() -> {
                ready.countDown();
                try {
                    while (!stop.get()) {
                        long start = System.nanoTime();
                        client.lockUnlock(name, holdMillis);
                        if (measuring.get()) {
                            count.incrementAndGet();
                            longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                        }
                        if (thinkMillis > 0) {
                            Thread.sleep(thinkMillis);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, impl + "-client-" + c);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        TimeUnit.SECONDS.sleep(2); // warm-up under contention
        measuring.set(true);
        TimeUnit.SECONDS.sleep(seconds);
        measuring.set(false);
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
            thread.interrupt();
        }
        opened.forEach(LockClient::close);
        longest[0] = longestNanos.get();
        return Arrays.stream(counts).mapToLong(AtomicLong::get).toArray();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
