package io.robit.bench.jdbc;

import io.robit.bench.core.RingArgs;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The floors under any PostgreSQL lock, with no lock library at all: plain pgjdbc on single-row
 * statements, so that a lock's rate can be compared with what the server and the wake-up allow.
 *
 * <ul>
 *   <li><b>commit</b>: one autocommit {@code UPDATE} of one row in a loop: one durable commit.
 *   <li><b>pair</b>: two autocommit {@code UPDATE}s in a loop: a lock and an unlock that each commit,
 *       what every uncontended pair (and every acquisition of a client that re-takes the lock it just
 *       released) costs at least.
 *   <li><b>ring</b>: {@code clients} threads, each with its own connection listening on its own
 *       channel, pass one row around in a ring: on its notification a thread reads the row, then in
 *       one statement (one commit) writes it to the next thread and notifies that thread. This is a
 *       strictly fair hand-over at its cheapest: one commit, one notification and one wake-up per
 *       acquisition, nothing else. Its hand-over time is from the sender's statement to the
 *       receiver's wake-up.
 * </ul>
 *
 * <p>PostgreSQL from {@code -Drobit.bench.pg} (default {@code jdbc:postgresql://127.0.0.1:5432/test})
 * and {@code -Drobit.bench.pg.user} (default {@code postgres}); table {@code robit_floor} is created.
 * Run: {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.jdbc.JdbcHandoffFloor
 * [seconds=10] [rounds=3] [clients=4]}
 */
public final class JdbcHandoffFloor {
    private static final String URL = System.getProperty("robit.bench.pg", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = System.getProperty("robit.bench.pg.user", "postgres");
    private static final String WRITE = "UPDATE robit_floor SET owner = ?, n = n + 1 WHERE id = 1";

    private JdbcHandoffFloor() {
    }

    /** Entry point; arguments: seconds per round, rounds, ring size. */
    public static void main(String[] args) throws Exception {
        RingArgs parsed = RingArgs.parse(args);
        int seconds = parsed.seconds();
        int rounds = parsed.rounds();
        int clients = parsed.clients();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS robit_floor (id INT PRIMARY KEY, owner INT NOT NULL, n BIGINT NOT NULL)");
            s.execute("INSERT INTO robit_floor VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING");
        }
        System.out.printf(Locale.ROOT, "| round | commits/s (p50 / p99 ms) | pairs/s | ring of %d: hand-overs/s | hand-over p50 / p99 / max ms |%n"
                + "|---|---|---|---|---|%n", clients);
        for (int r = 1; r <= rounds; r++) {
            double[] commit = loop(seconds, 1);
            double[] pair = loop(seconds, 2);
            double[] ring = ring(seconds, clients);
            System.out.printf(Locale.ROOT, "| %d | %.0f (%.3f / %.3f) | %.0f | %.0f | %.3f / %.3f / %.3f |%n",
                    r, commit[0], commit[1], commit[2], pair[0], ring[0], ring[1], ring[2], ring[3]);
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(URL, USER, "");
    }

    /** Loops {@code perRound} autocommit writes; returns rounds/s and the p50 and p99 of one write, ms. */
    private static double[] loop(int seconds, int perRound) throws SQLException {
        try (Connection c = connect(); PreparedStatement write = c.prepareStatement(WRITE)) {
            write.setInt(1, 0);
            for (int i = 0; i < 200; i++) {
                write.executeUpdate();
            }
            List<Long> nanos = new ArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long count = 0;
            long start = System.nanoTime();
            while (System.nanoTime() < end) {
                for (int i = 0; i < perRound; i++) {
                    long t = System.nanoTime();
                    write.executeUpdate();
                    nanos.add(System.nanoTime() - t);
                }
                count++;
            }
            double rate = count / ((System.nanoTime() - start) / 1e9);
            double[] sorted = nanos.stream().mapToDouble(n -> n / 1e6).sorted().toArray();
            return new double[] {rate, percentile(sorted, 0.5), percentile(sorted, 0.99)};
        }
    }

    /** The ring; returns hand-overs/s and the hand-over p50, p99 and max, ms. */
    private static double[] ring(int seconds, int clients) throws Exception {
        AtomicLong sentAt = new AtomicLong();
        AtomicLong handovers = new AtomicLong();
        List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 1);
        long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        List<Thread> threads = new ArrayList<>();
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Connection c = connect();
            connections.add(c);
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN robit_floor_" + i);
            }
        }
        try {
            for (int i = 0; i < clients; i++) {
                int me = i;
                int next = (i + 1) % clients;
                Connection c = connections.get(i);
                Thread t = new Thread(() -> {
                    try (PreparedStatement read = c.prepareStatement("SELECT owner FROM robit_floor WHERE id = 1");
                         PreparedStatement pass = c.prepareStatement(
                                 "WITH w AS (" + WRITE + " RETURNING owner) SELECT pg_notify('robit_floor_" + next + "', '') FROM w")) {
                        pass.setInt(1, next);
                        while (true) {
                            PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(200);
                            long now = System.nanoTime();
                            if (now > stopAt) {
                                return;
                            }
                            if (got == null || got.length == 0) {
                                continue;
                            }
                            if (now > measureFrom) {
                                latencies.add((now - sentAt.get()) / 1e6);
                                handovers.incrementAndGet();
                            }
                            read.executeQuery().close();
                            sentAt.set(System.nanoTime());
                            pass.executeQuery().close();
                        }
                    } catch (SQLException e) {
                        throw new IllegalStateException("ring thread " + me, e);
                    }
                }, "floor-ring-" + i);
                threads.add(t);
                t.start();
            }
            try (Connection c = connect(); Statement s = c.createStatement()) {
                sentAt.set(System.nanoTime());
                s.execute("SELECT pg_notify('robit_floor_0', '')");
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(seconds + 10));
            }
        } finally {
            for (Connection c : connections) {
                c.close();
            }
        }
        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            throw new IllegalStateException("the ring made no hand-over in " + seconds + " s");
        }
        return new double[] {handovers.get() / (double) seconds, percentile(sorted, 0.5), percentile(sorted, 0.99),
            sorted[sorted.length - 1]};
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * p) - 1)];
    }
}
