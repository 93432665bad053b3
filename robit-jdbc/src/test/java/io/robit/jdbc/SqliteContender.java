package io.robit.jdbc;

import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link MultiProcessSqliteIT}. Modes:
 * {@code count DB LOCK ROUNDS COUNTER TOKENS GO}: wait for the file GO to exist (a start barrier), then
 * ROUNDS times: lock, read the number in COUNTER, write it back plus one, unlock; then write the
 * fencing tokens seen to TOKENS.
 * {@code hold DB LOCK TTL_MS}: lock, print "held TOKEN", and hang until killed.
 */
final class SqliteContender {
    private SqliteContender() {
    }

    public static void main(String[] args) throws Exception {
        try {
            Class.forName("org.postgresql.Driver");
        } catch (ClassNotFoundException expected) {
            System.out.println("postgresql driver absent");
        }
        Path db = Path.of(args[1]);
        String lock = args[2];
        try (Driver<String> driver = Drivers.open("sqlite:" + db)) {
            if (args[0].equals("hold")) {
                Mutex<String> mutex = Mutex.of(lock, Duration.ofMillis(Long.parseLong(args[3])), driver);
                Held held = mutex.tryLock(Duration.ofSeconds(60)).orElseThrow();
                System.out.println("held " + held.fencingToken());
                System.out.flush();
                TimeUnit.MINUTES.sleep(5); // killed by the test long before
                return;
            }
            int rounds = Integer.parseInt(args[3]);
            Path counter = Path.of(args[4]);
            Mutex<String> mutex = Mutex.of(lock, Duration.ofSeconds(10), driver);
            System.out.println("ready");
            System.out.flush();
            Path go = Path.of(args[6]);
            for (int i = 0; i < 600 && !Files.exists(go); i++) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                try (Held held = mutex.tryLock(Duration.ofSeconds(60)).orElseThrow(() -> new IllegalStateException("no lock in 60 s"))) {
                    long value = Long.parseLong(Files.readString(counter).trim()); // fails on a torn write: no mutual exclusion
                    Thread.yield();
                    Files.writeString(counter, Long.toString(value + 1));
                    tokens.add(Long.toString(held.fencingToken()));
                }
            }
            Files.write(Path.of(args[5]), tokens);
        }
    }
}
