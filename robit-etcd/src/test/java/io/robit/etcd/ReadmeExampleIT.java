package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The examples of docs/etcd.md, run against a real etcd. */
class ReadmeExampleIT {
    private static final Logger log = LoggerFactory.getLogger(ReadmeExampleIT.class);
    private final List<Long> tokens = new ArrayList<>();

    @Test
    void openFromUri() throws Exception {
        String etcdUri = EtcdTestSupport.server().uri() + "?prefix=myapp/locks/";
        // snippet:uri
        try (Driver<String> driver = Drivers.open(etcdUri)) { // e.g. "etcd://10.0.0.1:2379,10.0.0.2:2379?prefix=myapp/locks/"
            Mutex<String> mutex = Mutex.builder("invoice-run", Duration.ofSeconds(15), driver)
                    .onLost(() -> log.warn("invoice-run lock lost"))
                    .build();
            try (Held held = mutex.lock()) {
                runInvoices(held.fencingToken()); // the key's create revision: larger for every later holder
            }
        }
        // end::uri
        assertThat(tokens).hasSize(1).allMatch(t -> t > 0);
    }

    @Test
    void overAJetcdClient() throws Exception {
        String endpoint = "http://" + EtcdTestSupport.server().endpoint();
        // snippet:client
        Client client = Client.builder().endpoints(endpoint).build(); // your application's jetcd client
        EtcdDriver driver = EtcdDriver.builder(client)
                .keyPrefix("billing/locks/")
                .endpointDescription(endpoint) // named in DriverException messages
                .build();
        Mutex<String> mutex = Mutex.of("nightly-report", Duration.ofSeconds(10), driver);
        Optional<Held> held = mutex.tryLock(Duration.ofSeconds(2));
        if (held.isPresent()) {
            try (Held h = held.get()) {
                runInvoices(h.fencingToken());
            }
        }
        driver.close(); // leaves the client open: it is yours
        client.close();
        // end::client
        assertThat(tokens).hasSize(1);
    }

    private void runInvoices(long fencingToken) {
        tokens.add(fencingToken);
    }
}
