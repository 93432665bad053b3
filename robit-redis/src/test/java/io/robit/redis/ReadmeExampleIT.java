package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The examples of docs/redis.md, compiled and run against the Redis on 127.0.0.1:6379. */
class ReadmeExampleIT {
    private final List<String> ledger = new ArrayList<>();

    @Test
    void quickstart() throws Exception {
        String redisUri = TestRedis.uri(); // "redis://127.0.0.1:6379" in the doc, with a test key prefix
        // snippet:quickstart
        try (Driver<String> redis = Drivers.open(redisUri)) {             // owns its Lettuce client
            Mutex<String> mutex = Mutex.builder("invoice-batch", Duration.ofSeconds(30), redis)
                    .onLost(() -> System.err.println("lost the invoice-batch lock"))
                    .build();
            try (Held held = mutex.lock()) {                               // waits on pub/sub, not by polling
                writeInvoices(held.fencingToken());                       // pass the token to the resource
            }
        }
        // end::quickstart
        assertThat(ledger).hasSize(1);
    }

    @Test
    void ownClient() throws Exception {
        RedisURI uri = TestRedis.redisUri();
        // snippet:own-client
        RedisClient client = RedisClient.create();                          // your client, your options
        try (RedisDriver redis = RedisDriver.builder(client, uri)          // uri: where, and how errors name it
                .keyPrefix("billing:locks:")                               // keys: billing:locks:{NAME}, ...:token
                .build()) {
            Mutex<String> mutex = Mutex.of("nightly-report", Duration.ofSeconds(10), redis);
            Optional<Held> held = mutex.tryLock(Duration.ofSeconds(2));     // one wait, bounded
            if (held.isPresent()) {
                try (Held h = held.get()) {
                    writeInvoices(h.fencingToken());
                }
            }
        } finally {
            client.shutdown();                                             // the driver never closes your client
        }
        // end::own-client
        assertThat(ledger).hasSize(1);
    }

    @Test
    void withLockAndLoss() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        try (RedisDriver redis = RedisDriver.open(TestRedis.uri())) {
            // snippet:with-lock
            Mutex<String> mutex = Mutex.of("reindex", Duration.ofSeconds(15), redis);
            String result = mutex.withLock(Duration.ofSeconds(5), () -> {
                // runs only while held; if the lock is lost this thread is interrupted
                // and withLock throws LockLostException
                ran.set(true);
                return "done";
            });
            // end::with-lock
            assertThat(result).isEqualTo("done");
        }
        assertThat(ran).isTrue();
    }

    private void writeInvoices(long fencingToken) {
        assertThat(fencingToken).isPositive();
        ledger.add("written with token " + fencingToken);
    }

    @AfterAll
    static void removeTestKeys() {
        try (TestRedis.Admin admin = TestRedis.admin()) {
            admin.deleteKeys(TestRedis.PREFIX + "{invoice-batch}");
            admin.deleteKeys(TestRedis.PREFIX + "{reindex}");
            admin.deleteKeys("billing:locks:{nightly-report}");
        }
    }
}
