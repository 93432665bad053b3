package io.robit.bench.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
 * <p>With {@code --lock-key} the ring follows the layout of Robit's etcd lock instead (one lock key,
 * decided by "create it if absent", and a queue of places), with none of Robit's code and none of its
 * reads: on its turn a thread takes the lock key in one transaction that also deletes its place, then
 * releases it by deleting it (which wakes the next thread, from the watch every thread keeps on the
 * lock key), then queues again by writing its place. So a hand-over is two writes in series (the
 * release, then the next thread's take) and a third write (the queueing) lands beside the next take.
 * Its wait, from writing the place to the take's answer, is the floor of a fair wait on that layout.
 *
 * <p>Starts its own etcd ({@code /usr/bin/etcd}), or uses the endpoint given. Run:
 * {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.etcd.EtcdHandoffFloor
 * [seconds=10] [rounds=3] [clients=4] [host:port] [--lock-key]}
 */
public final class EtcdHandoffFloor {
    private EtcdHandoffFloor() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        boolean lockKey = Arrays.asList(args).contains("--lock-key");
        String[] positional = Arrays.stream(args).filter(arg -> !arg.equals("--lock-key")).toArray(String[]::new);
        RingArgs parsed = RingArgs.parse(positional);
        int seconds = parsed.seconds();
        int rounds = parsed.rounds();
        int clients = parsed.clients();
        EtcdServer server = positional.length > 3 ? null : EtcdServer.start("/usr/bin/etcd");
        String endpoint = server == null ? positional[3] : server.endpoint();
        try {
            System.out.printf(Locale.ROOT, "| round | %s of %d: hand-overs/s | hand-over p50 / p99 / max ms | %s p50 / p99 ms |%n"
                    + "|---|---|---|---|%n", lockKey ? "lock-key ring" : "ring", clients,
                    lockKey ? "a waiter's wait, place written to take answered," : (clients - 1) + " hand-overs (a fair waiter's wait)");
            for (int r = 1; r <= rounds; r++) {
                double[] m = lockKey ? lockKeyRing(endpoint, seconds, clients, r) : ring(endpoint, seconds, clients, r);
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
        try (Ring ring = new Ring()) {
            for (int i = 0; i < size; i++) {
                Client client = ring.connect(endpoint);
                Semaphore turn = ring.turn(i);
                WatchOption puts = WatchOption.builder().withNoDelete(true).build();
                ring.watch(client.getWatchClient().watch(key(round, i), puts, Watch.listener(response -> {
                    for (WatchEvent ignored : response.getEvents()) {
                        turn.release();
                    }
                })));
                client.getKVClient().get(key(round, i)).get(10, TimeUnit.SECONDS); // connected before the ring starts
            }
            TimeUnit.MILLISECONDS.sleep(200); // the watches are created on the server
            for (int i = 0; i < size; i++) {
                KV kv = ring.client(i).getKVClient();
                Semaphore turn = ring.turn(i);
                ByteSequence next = key(round, (i + 1) % size);
                ring.start("floor-ring-" + i, () -> {
                    while (Ring.awaitTurn(turn, stopAt)) {
                        long now = System.nanoTime();
                        if (now > measureFrom) {
                            handovers.add((now - sentAt.get()) / 1e6);
                        }
                        sentAt.set(System.nanoTime());
                        kv.put(next, ByteSequence.from(Long.toString(now), StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
                    }
                });
            }
            sentAt.set(System.nanoTime());
            ring.client(0).getKVClient().put(key(round, 0), ByteSequence.from("start", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            ring.join(seconds);
        }
        double[] each = measured(handovers, size, seconds);
        double[] waits = new double[each.length - (size - 2)];
        for (int i = 0; i < waits.length; i++) {
            for (int k = 0; k < size - 1; k++) {
                waits[i] += each[i + k];
            }
        }
        return summary(each, waits, seconds);
    }

    /** The {@code --lock-key} ring: returns what {@link #ring} does, with each waiter's wait measured rather than summed. */
    private static double[] lockKeyRing(String endpoint, int seconds, int size, int round) throws Exception {
        ByteSequence lock = ByteSequence.from("robit-floor-lock/" + round, StandardCharsets.UTF_8);
        ByteSequence value = ByteSequence.from("holder", StandardCharsets.UTF_8);
        AtomicInteger next = new AtomicInteger();
        AtomicLong releasedAt = new AtomicLong();
        List<Double> handovers = Collections.synchronizedList(new ArrayList<>());
        List<Double> waits = Collections.synchronizedList(new ArrayList<>());
        long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long stopAt = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        try (Ring ring = new Ring()) {
            for (int i = 0; i < size; i++) {
                int self = i;
                Client client = ring.connect(endpoint);
                Semaphore turn = ring.turn(i);
                // Every client sees every release, as every Robit driver waiting on the lock does; only the next one acts.
                WatchOption deletes = WatchOption.builder().withNoPut(true).build();
                ring.watch(client.getWatchClient().watch(lock, deletes, Watch.listener(response -> {
                    if (!response.getEvents().isEmpty() && next.get() == self) {
                        turn.release();
                    }
                })));
                client.getKVClient().put(place(round, i), value).get(10, TimeUnit.SECONDS); // queued, and connected
            }
            TimeUnit.MILLISECONDS.sleep(200); // the watches are created on the server
            for (int i = 0; i < size; i++) {
                KV kv = ring.client(i).getKVClient();
                Semaphore turn = ring.turn(i);
                ByteSequence place = place(round, i);
                int self = i;
                ring.start("floor-lock-key-ring-" + i, () -> {
                    long queuedAt = System.nanoTime();
                    while (Ring.awaitTurn(turn, stopAt)) {
                        boolean took = kv.txn().If(new Cmp(lock, Cmp.Op.EQUAL, CmpTarget.version(0)))
                                .Then(Op.put(lock, value, PutOption.DEFAULT), Op.delete(place, DeleteOption.DEFAULT))
                                .commit().get(10, TimeUnit.SECONDS).isSucceeded();
                        if (!took) {
                            continue; // a late event from an earlier release: the real turn comes with the holder's delete
                        }
                        long held = System.nanoTime();
                        if (held > measureFrom) {
                            handovers.add((held - releasedAt.get()) / 1e6);
                            waits.add((held - queuedAt) / 1e6);
                        }
                        next.set((self + 1) % size);
                        releasedAt.set(System.nanoTime());
                        kv.delete(lock).get(10, TimeUnit.SECONDS);
                        queuedAt = System.nanoTime();
                        kv.put(place, value).get(10, TimeUnit.SECONDS);
                    }
                });
            }
            releasedAt.set(System.nanoTime());
            ring.turn(0).release();
            ring.join(seconds);
        }
        double[] each = measured(handovers, size, seconds);
        return summary(each, waits.stream().mapToDouble(Double::doubleValue).toArray(), seconds);
    }

    /** The hand-overs as an array; fails if the ring made fewer than one round. */
    private static double[] measured(List<Double> handovers, int size, int seconds) {
        double[] each = handovers.stream().mapToDouble(Double::doubleValue).toArray();
        if (each.length < size) {
            throw new IllegalStateException("the ring made only " + each.length + " hand-overs in " + seconds + " s");
        }
        return each;
    }

    private static double[] summary(double[] handovers, double[] waits, int seconds) {
        double[] sorted = handovers.clone();
        Arrays.sort(sorted);
        double[] sortedWaits = waits.clone();
        Arrays.sort(sortedWaits);
        return new double[] {handovers.length / (double) seconds, percentile(sorted, 0.5), percentile(sorted, 0.99), sorted[sorted.length - 1],
            percentile(sortedWaits, 0.5), percentile(sortedWaits, 0.99)};
    }

    private static ByteSequence place(int round, int i) {
        return ByteSequence.from("robit-floor-lock/" + round + "/place/" + i, StandardCharsets.UTF_8);
    }

    private static ByteSequence key(int round, int i) {
        return ByteSequence.from("robit-floor/" + round + "/" + i, StandardCharsets.UTF_8);
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * p) - 1)];
    }

    /**
     * The clients, watches and threads of one ring. {@link #join} fails if a ring thread failed (a
     * ring that stalled part-way would otherwise report the hand-overs it made as if it had run);
     * closing it closes the watches and the clients.
     */
    private static final class Ring implements AutoCloseable {
        private final List<Client> clients = new ArrayList<>();
        private final List<Semaphore> turns = new ArrayList<>();
        private final List<Watch.Watcher> watchers = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        /** A new client with its turn (a semaphore its watch releases). */
        Client connect(String endpoint) {
            Client client = Client.builder().endpoints("http://" + endpoint).build();
            clients.add(client);
            turns.add(new Semaphore(0));
            return client;
        }

        Client client(int i) {
            return clients.get(i);
        }

        Semaphore turn(int i) {
            return turns.get(i);
        }

        void watch(Watch.Watcher watcher) {
            watchers.add(watcher);
        }

        void start(String name, Loop loop) {
            Thread thread = new Thread(() -> {
                try {
                    loop.run();
                } catch (Exception | Error e) {
                    failure.compareAndSet(null, e);
                }
            }, name);
            threads.add(thread);
            thread.start();
        }

        /** Waits for the client's turn; false once {@code stopAtNanos} has passed. */
        static boolean awaitTurn(Semaphore turn, long stopAtNanos) throws InterruptedException {
            while (!turn.tryAcquire(1, TimeUnit.SECONDS)) {
                if (System.nanoTime() > stopAtNanos) {
                    return false;
                }
            }
            return System.nanoTime() <= stopAtNanos;
        }

        void join(int seconds) throws InterruptedException {
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(seconds + 15));
            }
            Throwable failed = failure.get();
            if (failed != null) {
                throw new IllegalStateException("a ring thread failed", failed);
            }
        }

        @Override
        public void close() {
            watchers.forEach(Watch.Watcher::close);
            clients.forEach(Client::close);
        }
    }

    @FunctionalInterface
    private interface Loop {
        void run() throws Exception;
    }
}
