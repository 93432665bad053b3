package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.DriverException;
import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.tck.CuttableProxy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A call on a connection whose server stopped answering returns after the call's timeout, in
 * milliseconds, instead of blocking its thread forever: the query timeout alone cannot end it (its
 * cancel needs the server), so every call bounds its socket reads with
 * {@code Connection.setNetworkTimeout}. The socket timeout the driver sets by default on its own
 * connections is turned off here, so that only the per-call bound is tested.
 */
class NetworkTimeoutIT {

    @ParameterizedTest
    @EnumSource(value = TestDatabases.class, names = {"POSTGRESQL", "MARIADB"})
    void aCallOnAConnectionThatStoppedAnsweringEndsAtItsTimeout(TestDatabases db) throws Exception {
        InetSocketAddress server = db.serverAddress().orElseThrow();
        try (CuttableProxy proxy = CuttableProxy.to(server);
                Driver<String> driver = Drivers.open(viaProxy(db, proxy.address(), "socketTimeout=0"))) {
            String id = TestDatabases.freshLockId();
            Lease lease = driver.acquire(id, Duration.ofSeconds(30), Duration.ofSeconds(5)).orElseThrow(); // leaves an idle connection
            proxy.cut(); // that connection now gets no answers

            long start = System.nanoTime();
            CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
                try {
                    lease.refresh(Duration.ofSeconds(30), Duration.ofSeconds(1));
                    return "refreshed";
                } catch (DriverException e) {
                    return e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return e;
                }
            });
            Object outcome = call.get(20, TimeUnit.SECONDS); // the old code blocked here for good
            proxy.restore();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(outcome).as("an unanswered refresh fails").isInstanceOf(DriverException.class);
            assertThat(((DriverException) outcome).getMessage()).contains("refresh").contains(id);
            assertThat(took).as("bounded by the 1 s timeout, not by the server").isLessThan(Duration.ofSeconds(10));
        }
    }

    private static String viaProxy(TestDatabases db, InetSocketAddress proxy, String params) {
        InetSocketAddress server = db.serverAddress().orElseThrow();
        String direct = "@" + server.getHostString() + ":" + server.getPort() + "/";
        return db.robitUri(params).replace(direct, "@" + proxy.getHostString() + ":" + proxy.getPort() + "/");
    }
}
