package io.robit.bench.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.robit.Mutex;
import io.robit.redis.RedisDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where an uncontended Redis {@code lock()}+{@code unlock()} spends its time, against the floors
 * under it, all in one JVM on one server, interleaved rep by rep:
 *
 * <ul>
 *   <li><b>socket</b>: two {@code GET}s written on a plain blocking {@link Socket} (TCP_NODELAY), each
 *       reply read before the next request: two round trips with no client library;</li>
 *   <li><b>lettuce</b>: two synchronous {@code GET}s on one Lettuce connection (the client Robit
 *       runs on): two round trips through Netty's event loop;</li>
 *   <li><b>robit</b>: a {@link Mutex} {@code lock()}+{@code unlock()} pair (two {@code EVALSHA}s).</li>
 * </ul>
 *
 * and the server's own time for each (microseconds per call from {@code INFO commandstats}, which
 * for {@code EVALSHA} includes the commands its script runs). Every figure is per pair; the
 * thread's CPU time is the calling thread's only (the event loop's is not in it).
 *
 * <p>Run: {@code java -cp robit-bench/target/benchmarks.jar io.robit.bench.redis.RedisFloor
 * [redis://127.0.0.1:6379] [pairs=20000] [reps=3]}. Keys: {@code robit-floor:*}.
 */
public final class RedisFloor {
    private static final Pattern USEC = Pattern.compile("cmdstat_(\\w+):calls=(\\d+),usec=(\\d+)");
    private static final byte[] GET = "*2\r\n$3\r\nGET\r\n$11\r\nrobit-floor\r\n".getBytes(StandardCharsets.US_ASCII);

    private RedisFloor() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "redis://127.0.0.1:6379";
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        if (pairs < 100 || reps < 1) {
            throw new IllegalArgumentException("need pairs >= 100 and reps >= 1, got " + Arrays.toString(args));
        }
        java.net.URI parsed = java.net.URI.create(uri);
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> admin = client.connect();
             StatefulRedisConnection<String, String> lettuce = client.connect();
             Socket socket = new Socket(parsed.getHost(), parsed.getPort());
             RedisDriver driver = RedisDriver.open(uri + "?keyPrefix=robit-floor:")) {
            socket.setTcpNoDelay(true);
            Mutex<String> mutex = Mutex.builder("floor", Duration.ofSeconds(30), driver).build();
            System.out.printf(Locale.ROOT, "| rep | path | p50 µs | p99 µs | calling thread CPU µs | server µs (commandstats) |%n"
                    + "|---|---|---|---|---|---|%n");
            for (int rep = 1; rep <= reps; rep++) {
                print(rep, "socket: 2 GET", measure(admin.sync(), pairs, () -> socketGet(socket)));
                print(rep, "lettuce: 2 GET", measure(admin.sync(), pairs, () -> {
                    lettuce.sync().get("robit-floor");
                    lettuce.sync().get("robit-floor");
                }));
                print(rep, "robit: lock+unlock", measure(admin.sync(), pairs, () -> {
                    mutex.lock();
                    mutex.unlock();
                }));
            }
        } finally {
            client.shutdown();
        }
    }

    private interface Pair {
        void run() throws Exception;
    }

    private static void print(int rep, String path, double[] m) {
        System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %.1f | %.1f | %.1f |%n", rep, path, m[0], m[1], m[2], m[3]);
    }

    /** Warms up, then times {@code pairs} runs; returns p50, p99, thread CPU per pair, server µs per pair. */
    private static double[] measure(RedisCommands<String, String> admin, int pairs, Pair pair) throws Exception {
        for (int i = 0; i < pairs; i++) {
            pair.run();
        }
        admin.configResetstat();
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu = threads.getCurrentThreadCpuTime();
        double[] micros = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            long t = System.nanoTime();
            pair.run();
            micros[i] = (System.nanoTime() - t) / 1e3;
        }
        double cpuPerPair = (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / pairs;
        long serverMicros = 0;
        Matcher m = USEC.matcher(admin.info("commandstats"));
        while (m.find()) {
            if (!m.group(1).equals("config") && !m.group(1).equals("info")) {
                serverMicros += Long.parseLong(m.group(3));
            }
        }
        Arrays.sort(micros);
        return new double[] {micros[pairs / 2], micros[(int) (pairs * 0.99)], cpuPerPair, serverMicros / (double) pairs};
    }

    private static void socketGet(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        for (int i = 0; i < 2; i++) {
            out.write(GET);
            out.flush();
            // A missing key's reply is "$-1\r\n": read to its line end.
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("Redis closed the connection");
                }
            }
        }
    }
}
