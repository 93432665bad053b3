package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.testsupport.EtcdServer;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared lease's keep-alives (issue 18), counted by etcd itself from its gRPC metrics on a server
 * of this test's own: one message each, on one long-lived stream (before: jetcd's
 * {@code keepAliveOnce}, a stream per keep-alive and two messages, measured 2N on main 08fa3cf);
 * each one's TTL counted from its own send; a lease etcd dropped is told; a stream the server ends or
 * leaves unanswered is replaced.
 */
class EtcdKeepAliveStreamIT {
    private static final int KEEP_ALIVES = 10;
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private EtcdServer server;
    private EtcdDriver driver;

    @BeforeEach
    void start() {
        server = EtcdServer.start();
        driver = EtcdDriver.builder(server.uri()).build();
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void nKeepAlivesCostNMessagesOnOneStreamEachCountedFromItsSend() throws Exception {
        SharedLease session = hold("one-message").session();
        long messages = counter("grpc_server_msg_received_total");
        long streams = counter("grpc_server_started_total");
        for (int i = 0; i < KEEP_ALIVES; i++) {
            long before = System.nanoTime();
            assertThat(session.keepAlive(TIMEOUT)).isEqualTo(TTL);
            long after = System.nanoTime();
            // The lease's TTL now counts from a time between this call's start and end: its own send.
            assertThat(session.sureNanosFrom(before)).as("credited no earlier than the send").isGreaterThanOrEqualTo(session.grantedTtlNanos());
            assertThat(session.sureNanosFrom(after)).as("credited no later than the answer").isLessThanOrEqualTo(session.grantedTtlNanos());
        }
        assertThat(counter("grpc_server_msg_received_total") - messages).as("keep-alive messages etcd received for %d keep-alives", KEEP_ALIVES)
                .isEqualTo(KEEP_ALIVES);
        assertThat(counter("grpc_server_started_total") - streams).as("keep-alive streams opened").isEqualTo(1);
    }

    @Test
    void aLeaseEtcdNoLongerHasIsToldOnTheStream() throws Exception {
        EtcdLease held = hold("revoked");
        SharedLease session = held.session();
        session.keepAlive(TIMEOUT); // the stream is open
        try (io.etcd.jetcd.Client admin = io.etcd.jetcd.Client.builder().endpoints("http://" + server.endpoint()).build()) {
            admin.getLeaseClient().revoke(session.id()).get();
        }
        assertThatThrownBy(() -> session.keepAlive(TIMEOUT)).isInstanceOf(LockLostException.class);
        assertThat(session.lost()).isCompletedExceptionally();
        assertThat(session.usable()).isFalse();
    }

    @Test
    void aStreamTheServerEndsIsReplaced() throws Exception {
        SharedLease session = hold("restarted").session();
        session.keepAlive(TIMEOUT);
        server.kill();
        server.restart();
        // etcd keeps leases across a restart; the first keep-alive after it may still meet the dead stream.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                .until(() -> session.keepAlive(TIMEOUT).equals(TTL));
        long messages = counter("grpc_server_msg_received_total");
        session.keepAlive(TIMEOUT);
        assertThat(counter("grpc_server_msg_received_total") - messages).as("messages of one keep-alive on the new stream").isEqualTo(1);
    }

    @Test
    void aStreamWithoutAnswerIsAbandonedAndTheNextKeepAliveOpensAnother() throws Exception {
        SharedLease session = hold("unanswered").session();
        session.keepAlive(TIMEOUT);
        long streams = counter("grpc_server_started_total");
        server.pause();
        try {
            assertThatThrownBy(() -> session.keepAlive(Duration.ofSeconds(1))).isInstanceOf(DriverException.class)
                    .hasMessageContaining("keep-alive");
        } finally {
            server.resume();
        }
        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(DriverException.class)
                .until(() -> session.keepAlive(TIMEOUT).equals(TTL));
        assertThat(counter("grpc_server_started_total") - streams).as("keep-alive streams opened after the silent one").isGreaterThanOrEqualTo(1);
    }

    private EtcdLease hold(String name) {
        String id = EtcdTestSupport.newLockId(name);
        // A cold client on a loaded machine may miss the first grant's time limit: try again.
        return (EtcdLease) await().atMost(Duration.ofSeconds(60)).ignoreExceptionsInstanceOf(DriverException.class)
                .until(() -> driver.acquire(id, TTL, TIMEOUT), Optional::isPresent).orElseThrow();
    }

    /** etcd's count of {@code metric} for the Lease service's keep-alive stream. */
    private long counter(String metric) throws Exception {
        String text;
        try (InputStream in = URI.create("http://" + server.endpoint() + "/metrics").toURL().openStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("^" + metric
                + "\\{grpc_method=\"LeaseKeepAlive\",grpc_service=\"etcdserverpb\\.Lease\",grpc_type=\"bidi_stream\"} (\\d+)", Pattern.MULTILINE)
                .matcher(text);
        assertThat(m.find()).as("etcd's %s for LeaseKeepAlive", metric).isTrue();
        return Long.parseLong(m.group(1));
    }
}
