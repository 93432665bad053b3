package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.testsupport.EtcdServer;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests per uncontended lock+unlock on etcd (issue 18): counted by etcd itself, from its
 * {@code grpc_server_started_total} metrics, on a server of this test's own (no other client
 * sends it anything). Before this change an acquire read the waiter queue and then sent its
 * transaction (3 KV requests per pair, measured: the test failed on main 11a27bc with 3N); now a free lock
 * nobody waits for costs one transaction to take and one to give back.
 */
class EtcdRoundTripsIT {
    private static final Pattern KV_STARTED =
            Pattern.compile("^grpc_server_started_total\\{grpc_method=\"(\\w+)\",grpc_service=\"etcdserverpb\\.KV\",grpc_type=\"unary\"} (\\d+)",
                    Pattern.MULTILINE);
    private static final int PAIRS = 20;

    private static EtcdServer server;

    @BeforeAll
    static void start() {
        server = EtcdServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anUncontendedLockAndUnlockCostTwoKvRequests() throws Exception {
        // ttl 30 s: the shared lease stays fresh across the pairs, so no keep-alive (another service) interleaves either.
        try (EtcdDriver driver = EtcdDriver.builder(server.uri()).build()) {
            Mutex<String> mutex = Mutex.of(EtcdTestSupport.newLockId("round-trips"), Duration.ofSeconds(30), driver);
            mutex.lock().close(); // connects and grants the shared lease
            Map<String, Long> before = kvRequests();
            for (int i = 0; i < PAIRS; i++) {
                try (Held held = mutex.lock()) {
                    assertThat(held.fencingToken()).isPositive();
                }
            }
            Map<String, Long> after = kvRequests();
            Map<String, Long> spent = new TreeMap<>();
            after.forEach((method, count) -> {
                long delta = count - before.getOrDefault(method, 0L);
                if (delta != 0) {
                    spent.put(method, delta);
                }
            });
            assertThat(spent).as("KV requests etcd served for %d lock+unlock pairs", PAIRS).isEqualTo(Map.of("Txn", 2L * PAIRS));
        }
    }

    /** etcd's count of KV requests started, per method. */
    private static Map<String, Long> kvRequests() throws Exception {
        String text;
        try (InputStream in = URI.create("http://" + server.endpoint() + "/metrics").toURL().openStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Long> counts = new TreeMap<>();
        Matcher m = KV_STARTED.matcher(text);
        while (m.find()) {
            counts.put(m.group(1), Long.parseLong(m.group(2)));
        }
        assertThat(counts).as("etcd's KV request counters").containsKey("Txn");
        return counts;
    }
}
