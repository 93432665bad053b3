package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.Held;
import io.robit.LossReason;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.testsupport.EtcdServer;
import io.robit.testsupport.Ports;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Faults: no server at the endpoint, and a server that dies under a hold and comes back. Each test runs its own etcd. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdFaultsIT {
    private static final Duration SHORT = Duration.ofSeconds(2);

    @Test
    void unreachableEndpointFailsWithADriverExceptionNamingEndpointLockAndOperation() throws Exception {
        int port = Ports.free();
        try (EtcdDriver driver = EtcdDriver.builder("etcd://127.0.0.1:" + port + "?timeout=2s").build()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> driver.acquire("orders", Duration.ofSeconds(10), SHORT))
                    .isInstanceOf(DriverException.class)
                    .hasMessageContaining("etcd 127.0.0.1:" + port)
                    .hasMessageContaining("acquire of lock 'orders'")
                    .hasCauseInstanceOf(Throwable.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("bounded by the timeout").isLessThan(SHORT.plusSeconds(10));
            start = System.nanoTime();
            driver.awaitRelease("orders", Duration.ofMillis(500));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void serverDeathIsALossAtTheLocalDeadlineAndTheDriverReconnectsWhenEtcdReturns() throws Exception {
        try (EtcdServer server = EtcdServer.start(); EtcdDriver driver = EtcdDriver.builder(server.uri() + "?timeout=2s").build()) {
            String id = EtcdTestSupport.newLockId("fault");
            Lease raw = driver.acquire(id + "-raw", Duration.ofSeconds(30), SHORT).orElseThrow();
            Mutex<String> mutex = Mutex.of(id, Duration.ofSeconds(3), driver);
            Held held = mutex.lock();

            server.kill();

            assertThatThrownBy(() -> raw.refresh(Duration.ofSeconds(30), Duration.ofMillis(800)))
                    .as("a failed refresh is not a loss").isInstanceOf(DriverException.class)
                    .hasMessageContaining("refresh of lock '" + id + "-raw'");
            assertThat(raw.lost()).isNotDone();
            await("the hold is lost at its local deadline").atMost(Duration.ofSeconds(3).plusSeconds(5)).until(held::isLost);
            assertThat(held.lossReason()).contains(LossReason.DEADLINE_PASSED);
            long start = System.nanoTime();
            driver.release(raw);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("release is bounded").isLessThan(Duration.ofSeconds(10));

            server.restart();

            // The dead holds' keys stay until etcd expires their lease (restored with its ttl on restart).
            Lease again = await("the driver reconnects and acquires again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsInstanceOf(DriverException.class)
                    .until(() -> driver.acquire(id, Duration.ofSeconds(10), SHORT), Optional::isPresent).orElseThrow();
            assertThat(again.fencingToken()).isGreaterThan(held.fencingToken());
            driver.release(again);
        }
    }
}
