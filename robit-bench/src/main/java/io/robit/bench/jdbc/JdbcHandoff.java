package io.robit.bench.jdbc;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Hand-off latency: client A holds a lock, client B blocks in {@code lock()}; A unlocks at a random
 * moment (50 to 150 ms after B started waiting) and we time how long until B has it. This is what
 * a waiting process feels, and where LISTEN/NOTIFY differs from polling every 100 ms. Each client
 * is a {@link LockClient} (own pool, own driver/registry); Robit and Spring alternate per sample.
 *
 * <p>Needs PostgreSQL (see {@link LockClient}). Run:
 * {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.jdbc.JdbcHandoff [samples=40]}
 */
public final class JdbcHandoff {
    // Shared by the bench's threads; contention on it is negligible next to the pauses it picks.
    private static final java.util.Random PAUSES = new java.util.Random();

    private JdbcHandoff() {
    }

    /** Entry point; argument: samples per implementation. */
    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        List<String> impls = List.of("robit", "spring");
        double[][] millis = new double[impls.size()][samples];
        ExecutorService waiter = Executors.newSingleThreadExecutor();
        LockClient[][] clients = new LockClient[impls.size()][];
        try {
            for (int i = 0; i < impls.size(); i++) {
                clients[i] = new LockClient[] {new LockClient(impls.get(i)), new LockClient(impls.get(i))};
            }
            for (int s = 0; s < samples; s++) {
                for (int i = 0; i < impls.size(); i++) {
                    millis[i][s] = sample(clients[i][0], clients[i][1], waiter);
                }
            }
        } finally {
            waiter.shutdownNow();
            for (LockClient[] pair : clients) {
                if (pair != null) {
                    Arrays.stream(pair).forEach(LockClient::close);
                }
            }
        }
        System.out.printf(Locale.ROOT, "| impl | samples | hand-off median | p90 | p99 | max |%n|---|---|---|---|---|---|%n");
        for (int i = 0; i < impls.size(); i++) {
            double[] sorted = millis[i].clone();
            Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", impls.get(i), samples,
                    sorted[sorted.length / 2], percentile(sorted, 0.90), percentile(sorted, 0.99), sorted[sorted.length - 1]);
        }
    }

    /** The nearest-rank percentile {@code p} of {@code sorted}. */
    private static double percentile(double[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * p) - 1)];
    }

    private static double sample(LockClient holder, LockClient taker, ExecutorService waiter) throws Exception {
        String name = "handoff-" + UUID.randomUUID();
        taker.lockUnlock(name); // warm the taker's statements and (Robit) its LISTEN connection
        AutoCloseable held = holder.lock(name);
        Future<Long> acquiredAt = waiter.submit(() -> {
            try (AutoCloseable unlock = taker.lock(name)) {
                return System.nanoTime();
            }
        });
        TimeUnit.MILLISECONDS.sleep(PAUSES.nextLong(50, 150));
        long releasedAt = System.nanoTime();
        held.close();
        long at = acquiredAt.get(60, TimeUnit.SECONDS);
        return (at - releasedAt) / 1e6;
    }
}
