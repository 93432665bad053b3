package io.robit.bench.zookeeper;

import io.robit.Mutex;
import io.robit.zookeeper.ZooKeeperDriver;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * What it costs to keep many ZooKeeper locks held by one client: Robit's {@code Mutex} over
 * {@link ZooKeeperDriver} (ttl 3 s) beside Curator's {@code InterProcessMutex}, each library with
 * its own client (one session, session timeout 10 s), N locks held, then a measured window.
 *
 * <p>The server runs in a <b>separate JVM</b> that this harness starts (ZooKeeper's
 * {@code ZooKeeperServerMain} from the benchmark jar, data on disk in a temporary folder), so the
 * CPU time of this JVM is the client's alone. It reports, per library: the packets the server
 * received per second over the window (its {@code srvr} counter: every request and every session
 * ping), the requests the client sent per second (a Curator tracer), the client's CPU as a share of
 * one core, and how many locks were still held at the end.
 *
 * <p>Run (locks, measured seconds, optionally a connect string of an ensemble whose {@code srvr}
 * four-letter word is allowed, instead of starting a server):
 * <pre>
 * ./mvnw -q -pl robit-bench -am package -DskipTests
 * java -cp robit-bench/target/benchmarks.jar io.robit.bench.zookeeper.ZooKeeperHeldLocks 1000 20
 * </pre>
 */
public final class ZooKeeperHeldLocks {
    private static final Duration TTL = Duration.ofSeconds(3);
    private static final int WARM_UP_SECONDS = 5;
    private static final List<String> LIBRARIES = List.of(System.getProperty("bench.libraries", "robit,curator").split(","));

    private ZooKeeperHeldLocks() {
    }

    public static void main(String[] args) throws Exception {
        int locks = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Process server = null;
        Path data = null;
        String connect;
        if (args.length > 2) {
            connect = args[2];
        } else {
            data = Files.createTempDirectory("robit-zk-held");
            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            server = new ProcessBuilder(java, "-Xmx512m", "-Dzookeeper.4lw.commands.whitelist=srvr", "-Dzookeeper.admin.enableServer=false",
                    "-Dzookeeper.clientPortAddress=127.0.0.1", "-cp", System.getProperty("java.class.path"),
                    "org.apache.zookeeper.server.ZooKeeperServerMain", Integer.toString(port), data.toString(), "2000")
                    .redirectErrorStream(true).redirectOutput(new File(data.toFile(), "server.log")).start();
            connect = "127.0.0.1:" + port;
            awaitServer(connect);
        }
        try {
            System.out.printf("ZooKeeper at %s (%s); %d locks held per library, ttl %s, %d s warm-up, %d s measured%n", connect,
                    server == null ? "external" : "separate JVM, data in " + data, locks, TTL, WARM_UP_SECONDS, seconds);
            System.out.println("| library | locks held | server packets/s | client requests/s | client CPU (% of a core) | still held |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            for (String library : LIBRARIES) {
                run(library, connect, locks, seconds);
            }
        } finally {
            if (server != null) {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void run(String library, String connect, int locks, int seconds) throws Exception {
        ZooKeeperLockBenchmark.RequestCounter requests = new ZooKeeperLockBenchmark.RequestCounter();
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connect).sessionTimeoutMs(10_000)
                .connectionTimeoutMs(10_000).retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
        client.getZookeeperClient().setTracerDriver(requests);
        client.start();
        try {
            if (!client.blockUntilConnected(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no connection to " + connect);
            }
            List<Mutex<String>> mutexes = new ArrayList<>();
            List<InterProcessMutex> curator = new ArrayList<>();
            ZooKeeperDriver driver = library.equals("robit") ? ZooKeeperDriver.create(client) : null;
            for (int i = 0; i < locks; i++) {
                if (driver != null) {
                    Mutex<String> mutex = Mutex.of("held-" + i, TTL, driver);
                    mutex.tryLock().orElseThrow();
                    mutexes.add(mutex);
                } else {
                    InterProcessMutex mutex = new InterProcessMutex(client, "/bench/held/curator-" + i);
                    mutex.acquire();
                    curator.add(mutex);
                }
            }
            TimeUnit.SECONDS.sleep(WARM_UP_SECONDS);
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long packets0 = serverPacketsReceived(connect);
            long requests0 = requests.total();
            long cpu0 = os.getProcessCpuTime();
            long wall0 = System.nanoTime();
            TimeUnit.SECONDS.sleep(seconds);
            long wall = System.nanoTime() - wall0;
            long cpu = os.getProcessCpuTime() - cpu0;
            long sent = requests.total() - requests0;
            long packets = serverPacketsReceived(connect) - packets0;
            long stillHeld = driver != null ? mutexes.stream().filter(Mutex::isHeld).count()
                    : curator.stream().filter(InterProcessMutex::isAcquiredInThisProcess).count();
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.2f | %d |%n", library, locks, packets * 1e9 / wall, sent * 1e9 / wall,
                    100.0 * cpu / wall, stillHeld);
            for (Mutex<String> mutex : mutexes) {
                mutex.unlock();
            }
            for (InterProcessMutex mutex : curator) {
                mutex.release();
            }
            if (driver != null) {
                driver.close();
            }
        } finally {
            client.close();
        }
    }

    // The server's count of packets received (requests and pings), from its `srvr` four-letter word.
    private static long serverPacketsReceived(String connect) throws Exception {
        String first = connect.split(",")[0];
        int colon = first.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(first.substring(0, colon), Integer.parseInt(first.substring(colon + 1))), 5000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("Received:")) {
                    return Long.parseLong(line.substring("Received:".length()).trim());
                }
            }
        }
        throw new IllegalStateException("the server at " + first + " did not answer srvr with a Received: line (is srvr allowed?)");
    }

    private static void awaitServer(String connect) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                serverPacketsReceived(connect);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("the ZooKeeper server at " + connect + " did not start", e);
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
    }
}
