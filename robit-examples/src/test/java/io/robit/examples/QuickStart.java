package io.robit.examples;

// The README's quick start, whole: QuickStartTest also compiles the README's copy without the
// package line, as a user pastes it, and runs it.
// snippet:quickstart
import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;

public class QuickStart {
    public static void main(String[] args) throws InterruptedException {
        // "local:" is in-memory, for one JVM; in production: "redis://host:6379",
        // "postgresql://host/db?user=app", "etcd://host:2379", "zookeeper://host:2181", ...
        try (Driver<String> driver = Drivers.open("local:")) {
            Mutex<String> mutex = Mutex.of("order-lock", Duration.ofSeconds(30), driver);

            try (Held held = mutex.lock()) { // waits until held; throws InterruptedException
                // Critical section: only one holder at a time, in any process, runs this.
                processOrder(held.fencingToken());
            }
        }
    }

    static void processOrder(long fencingToken) {
        System.out.println("processing the order with fencing token " + fencingToken);
    }
}
// end::quickstart
