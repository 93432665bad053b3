package io.robit.bench.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.robit.bench.core.RingArgs;
import io.robit.testsupport.EtcdServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The floor under a strictly fair etcd lock, with no lock library: {@code clients} threads, each
 * with its own jetcd {@link Client} and one long-lived watch on its own key, pass a turn around a
 * ring: on its watch event a thread wakes and writes the next thread's key (one {@code Put}, one
 * raft commit), which wakes that thread. Every hand-over of a lock served in arrival order costs at
 * least this much (the release's write, its watch event, the next client's wake-up); a real lock
 * also writes the grant and opens the waiter's watch. With {@code clients} looping clients, each
 * waits for {@code clients - 1} hand-overs, so the ring's hand-over time times that is the floor
 * of a fair lock's wait.
 *
 * <p>Starts its own etcd ({@code /usr/bin/etcd}), or uses {@code --endpoint host:port}. Run:
 * {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.etcd.EtcdHandoffFloor
 * [seconds=10] [rounds=3] [clients=4] [host:port]}
 */
public final class EtcdHandoffFloor {
    private EtcdHandoffFloor() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        RingArgs parsed = RingArgs.parse(args);
        int seconds = parsed.seconds();
        int rounds = parsed.rounds();
        int clients = parsed.clients();
        EtcdServer server = args.length > 3 ? null : EtcdServer.start("/usr/bin/etcd");
        String endpoint = server == null ? args[3] : server.endpoint();
        try {
            System.out.printf(Locale.ROOT, "| round | ring of %d: hand-overs/s | hand-over p50 / p99 / max ms | %d hand-overs (a fair waiter's wait) p50 / p99 ms |%n"
                    + "|---|---|---|---|%n", clients, clients - 1);
            for (int r = 1; r <= rounds; r++) {
                double[] m = ring(endpoint, seconds, clients, r);
                System.out.printf(Locale.ROOT, "| %d | %.0f | %.2f / %.2f / %.2f | %.2f / %.2f |%n", r, m[0], m[1], m[2], m[3], m[4], m[5]);
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    /** Returns hand-overs/s, hand-over p50/p99/max, and the p50/p99 of (clients - 1) hand-overs in a row, ms. */
    private static double[] ring(String endpoint, int seconds, int size, int round) throws Exception {
        AtomicLong sentAt = new AtomicLong();
        List<Double> handovers = Collections.synchronizedList(new ArrayList<>());
        long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long stopAt = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        List<Client> clients = new ArrayList<>();
        List<Watch.Watcher> watchers = new ArrayList<>();
        List<Semaphore> turns = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                Client client = Client.builder().endpoints("http://" + endpoint).build();
                clients.add(client);
                Semaphore turn = new Semaphore(0);
                turns.add(turn);
                WatchOption puts = WatchOption.builder().withNoDelete(true).build();
                watchers.add(client.getWatchClient().watch(key(round, i), puts, Watch.listener(response -> {
                    for (WatchEvent ignored : response.getEvents()) {
                        turn.release();
                    }
                })));
                client.getKVClient().get(key(round, i)).get(10, TimeUnit.SECONDS); // connected before the ring starts
            }
            TimeUnit.MILLISECONDS.sleep(200); // the watches are created on the server
            for (int i = 0; i < size; i++) {
                Client client = clients.get(i);
                Semaphore turn = turns.get(i);
                ByteSequence next = key(round, (i + 1) % size);
                Thread thread = new Thread(() -> {
                    try {
                        while (true) {
                            if (!turn.tryAcquire(1, TimeUnit.SECONDS)) {
                                if (System.nanoTime() > stopAt) {
                                    return;
                                }
                                continue;
                            }
                            long now = System.nanoTime();
                            if (now > stopAt) {
                                return;
                            }
                            if (now > measureFrom) {
                                handovers.add((now - sentAt.get()) / 1e6);
                            }
                            sentAt.set(System.nanoTime());
                            client.getKVClient().put(next, ByteSequence.from(Long.toString(now), StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException("ring thread", e);
                    }
                }, "floor-ring-" + i);
                threads.add(thread);
                thread.start();
            }
            sentAt.set(System.nanoTime());
            clients.get(0).getKVClient().put(key(round, 0), ByteSequence.from("start", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(seconds + 15));
            }
        } finally {
            watchers.forEach(Watch.Watcher::close);
            clients.forEach(Client::close);
        }
        double[] each = handovers.stream().mapToDouble(Double::doubleValue).toArray();
        if (each.length < size) {
            throw new IllegalStateException("the ring made only " + each.length + " hand-overs in " + seconds + " s");
        }
        double[] waits = new double[each.length - (size - 2)];
        for (int i = 0; i < waits.length; i++) {
            for (int k = 0; k < size - 1; k++) {
                waits[i] += each[i + k];
            }
        }
        double[] sorted = each.clone();
        Arrays.sort(sorted);
        Arrays.sort(waits);
        return new double[] {each.length / (double) seconds, percentile(sorted, 0.5), percentile(sorted, 0.99), sorted[sorted.length - 1],
            percentile(waits, 0.5), percentile(waits, 0.99)};
    }

    private static ByteSequence key(int round, int i) {
        return ByteSequence.from("robit-floor/" + round + "/" + i, StandardCharsets.UTF_8);
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * p) - 1)];
    }
}
