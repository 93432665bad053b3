package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.spi.Lease;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EtcdSmokeIT {
    @Test
    void acquireRelease() throws Exception {
        try (EtcdDriver d = EtcdDriver.builder(EtcdServer.shared().uri()).build()) {
            Lease l = d.acquire("smoke", Duration.ofSeconds(2), Duration.ofSeconds(5)).orElseThrow();
            assertThat(d.acquire("smoke", Duration.ofSeconds(2), Duration.ofSeconds(5))).isEmpty();
            l.refresh(Duration.ofSeconds(2), Duration.ofSeconds(5));
            d.release(l);
            Lease l2 = d.acquire("smoke", Duration.ofSeconds(2), Duration.ofSeconds(5)).orElseThrow();
            assertThat(l2.fencingToken()).isGreaterThan(l.fencingToken());
            d.release(l2);
        }
    }
}
