package io.robit.bench.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.robit.DriverException;
import io.robit.Mutex;
import io.robit.etcd.EtcdDriver;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The held-locks scenario of {@link EtcdLockBench}: {@code locks} locks held with a 3 s lease on one
 * client, for a window after a warm-up; what keeping them costs the server (gRPC request messages
 * etcd received per second, from its {@code /metrics}: unary calls and stream messages such as
 * lease keep-alives alike) and the client (this JVM's CPU time over wall time, as a share of one
 * core). Robit holds them with one {@link EtcdDriver} (one shared etcd lease; the core renews);
 * jetcd with one lease kept alive by its lease observer and {@code Lock.lock(name, lease)}. Only one
 * client holds locks at a time, so the server's requests are that client's; the two alternate round
 * by round. Not thread-safe; used by the bench's main thread.
 */
final class HeldLocks {
    static final Duration TTL = Duration.ofSeconds(3);

    private final String endpoint;
    private final HttpClient http = HttpClient.newHttpClient();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    HeldLocks(String endpoint) {
        this.endpoint = endpoint;
    }

    /** Markdown rows: for each client, the median of {@code rounds} windows (each window's figures in brackets). */
    List<String> run(int locks, Duration warmup, Duration window, int rounds) throws Exception {
        List<double[]> robit = new ArrayList<>();
        List<double[]> jetcd = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            robit.add(robit(locks, warmup, window));
            jetcd.add(jetcd(locks, warmup, window));
        }
        List<String> rows = new ArrayList<>();
        rows.add(row(locks, "Robit EtcdDriver (Mutex, ttl 3 s, renewPeriod 1 s)", robit));
        rows.add(row(locks, "jetcd Lock (one lease, jetcd keep-alive)", jetcd));
        return rows;
    }

    private double[] robit(int locks, Duration warmup, Duration window) throws Exception {
        try (EtcdDriver driver = EtcdDriver.builder("etcd://" + endpoint).build()) {
            List<Mutex<String>> held = new ArrayList<>(locks);
            for (int i = 0; i < locks; i++) {
                Mutex<String> m = Mutex.of(name(), TTL, driver);
                for (int attempt = 1; ; attempt++) {
                    try {
                        m.tryLock(Duration.ofSeconds(10)).orElseThrow(() -> new IllegalStateException("a free lock was not granted"));
                        break;
                    } catch (DriverException e) {
                        // On a loaded machine etcd may not answer one attempt in time (ttl/3): try again.
                        if (attempt == 10) {
                            throw e;
                        }
                    }
                }
                held.add(m);
            }
            double[] figures = window(warmup, window);
            long stillHeld = held.stream().filter(Mutex::isHeld).count();
            for (Mutex<String> m : held) {
                if (m.isHeld()) {
                    m.unlock();
                }
            }
            return new double[] {figures[0], figures[1], stillHeld};
        }
    }

    private double[] jetcd(int locks, Duration warmup, Duration window) throws Exception {
        try (Client client = Client.builder().endpoints("http://" + endpoint).build()) {
            long lease = client.getLeaseClient().grant(TTL.toSeconds()).get().getID();
            AtomicBoolean alive = new AtomicBoolean(true);
            CloseableClient keepAlive = client.getLeaseClient().keepAlive(lease, new StreamObserver<>() {
                @Override
                public void onNext(LeaseKeepAliveResponse response) {
                }

                @Override
                public void onError(Throwable error) {
                    alive.set(false);
                }

                @Override
                public void onCompleted() {
                    alive.set(false);
                }
            });
            List<ByteSequence> keys = new ArrayList<>(locks);
            for (int i = 0; i < locks; i++) {
                keys.add(client.getLockClient().lock(ByteSequence.from(name(), StandardCharsets.UTF_8), lease).get(10, TimeUnit.SECONDS).getKey());
            }
            double[] figures = window(warmup, window);
            long stillHeld = alive.get() ? keys.size() : 0;
            keepAlive.close();
            client.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
            return new double[] {figures[0], figures[1], stillHeld};
        }
    }

    /** After {@code warmup}: {server requests/s, client CPU as % of one core} over {@code window}. */
    private double[] window(Duration warmup, Duration window) throws Exception {
        TimeUnit.MILLISECONDS.sleep(warmup.toMillis());
        double requestsBefore = serverRequests();
        long cpuBefore = os.getProcessCpuTime();
        long wallBefore = System.nanoTime();
        TimeUnit.MILLISECONDS.sleep(window.toMillis());
        long cpu = os.getProcessCpuTime() - cpuBefore;
        long wall = System.nanoTime() - wallBefore;
        double requests = serverRequests() - requestsBefore;
        return new double[] {requests * 1e9 / wall, 100.0 * cpu / wall};
    }

    /** Every gRPC request message etcd has received (unary calls and stream messages), from its metrics. */
    private double serverRequests() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        double total = 0;
        StringBuilder byMethod = new StringBuilder();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("grpc_server_msg_received_total{")) {
                double count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                total += count;
                if (count > 0) {
                    byMethod.append(line, line.indexOf("grpc_method=\"") + 13, line.indexOf('"', line.indexOf("grpc_method=\"") + 13))
                            .append('=').append((long) count).append(' ');
                }
            }
        }
        // Per method, for reading where the requests go (stderr, not the table).
        System.err.println("etcd requests so far, by method: " + byMethod);
        return total;
    }

    private static String row(int locks, String client, List<double[]> rounds) {
        return String.format(Locale.ROOT, "| %,d held locks, ttl 3 s | %s | %s | %s | %s | %s |", locks, client,
                median(rounds, 0, "%.1f"), String.format(Locale.ROOT, "%.3f", medianOf(rounds, 0) / locks),
                median(rounds, 1, "%.2f"), median(rounds, 2, "%.0f"));
    }

    private static double medianOf(List<double[]> rounds, int index) {
        double[] values = rounds.stream().mapToDouble(r -> r[index]).sorted().toArray();
        return values.length % 2 == 1 ? values[values.length / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
    }

    private static String median(List<double[]> rounds, int index, String format) {
        StringBuilder all = new StringBuilder();
        for (double[] round : rounds) {
            all.append(all.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, format, round[index]));
        }
        return String.format(Locale.ROOT, format, medianOf(rounds, index)) + " (" + all + ")";
    }

    private static String name() {
        return "bench-held-" + UUID.randomUUID();
    }
}
