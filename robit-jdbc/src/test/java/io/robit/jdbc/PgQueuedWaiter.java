package io.robit.jdbc;

import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link PostgresHandOverIT}'s crashed-waiter test: {@code URI LOCK} opens a driver,
 * waits for LOCK (ttl 30 s), prints "held TOKEN" if it ever gets it, and hangs until killed.
 */
final class PgQueuedWaiter {
    private PgQueuedWaiter() {
    }

    public static void main(String[] args) throws Exception {
        try (Driver<String> driver = Drivers.open(args[0])) {
            Held held = Mutex.of(args[1], Duration.ofSeconds(30), driver).lock();
            System.out.println("held " + held.fencingToken());
            System.out.flush();
            TimeUnit.MINUTES.sleep(5); // killed by the test long before
        }
    }
}
