package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.testsupport.EtcdServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12 (etcd/Redis part of item 12): after etcd stops answering, every hold is lost at its
 * local deadline and the core gives each lease back on a small pool. Those releases must not wait
 * for the unresponsive server (the request timeout, 30 s here), or a loss storm queues behind a few
 * blocked threads for minutes. An etcd of the test's own, frozen with SIGSTOP.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdReleaseAfterLossIT {
    private static final int HOLDS = 40;
    private static final Duration TTL = Duration.ofSeconds(2);

    @Test
    void releasesAfterALossDoNotWaitForAnUnresponsiveServer() throws Exception {
        try (EtcdServer server = EtcdServer.start(); EtcdDriver real = EtcdDriver.builder(server.uri() + "?timeout=30s").build()) {
            AtomicInteger released = new AtomicInteger();
            Driver<String> counting = new CountingReleases(real, released);
            real.release(real.acquire("warm-up", TTL, Duration.ofSeconds(10)).orElseThrow()); // connects
            List<Held> holds = new ArrayList<>();
            for (int i = 0; i < HOLDS; i++) {
                holds.add(Mutex.of("after-loss-" + i, TTL, counting).tryLock(Duration.ofSeconds(10)).orElseThrow());
            }

            server.pause();
            try {
                await("every hold lost at its local deadline").atMost(Duration.ofSeconds(20)).until(() -> holds.stream().allMatch(Held::isLost));
                await("every lease given back without waiting for the frozen server").atMost(Duration.ofSeconds(10))
                        .until(() -> released.get() == HOLDS);
            } finally {
                server.resume();
            }
            assertThat(released.get()).isEqualTo(HOLDS);
        }
    }

    /** The etcd driver, counting the releases that have returned. */
    private record CountingReleases(EtcdDriver real, AtomicInteger released) implements Driver<String> {
        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            return real.acquire(id, ttl, timeout);
        }

        @Override
        public void release(Lease lease) {
            real.release(lease);
            released.incrementAndGet();
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            real.awaitRelease(id, maxWait);
        }

        @Override
        public void validate(String id) {
            real.validate(id);
        }
    }
}
