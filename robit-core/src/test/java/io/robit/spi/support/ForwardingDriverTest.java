package io.robit.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link ForwardingDriver} and {@link ForwardingContention} reach the wrapped driver's and
 * contention's own methods for every call (never the SPI's defaults), and a decorator that wraps
 * leases sees the attempts of its own contention.
 */
class ForwardingDriverTest {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private final Recorder recorder = new Recorder();

    @Test
    void everyDriverCallReachesTheWrappedDriver() throws Exception {
        Driver<String> forwarding = new ForwardingDriver<>(recorder) { };
        assertThat(forwarding.acquire("a", TTL, TIMEOUT)).containsSame(recorder.lease);
        Contention contention = forwarding.contend("a", TTL, TIMEOUT);
        assertThat(contention).as("the wrapped driver's own contention, not the default over acquire").isSameAs(recorder.contention);
        forwarding.release(recorder.lease);
        forwarding.awaitRelease("a", Duration.ofMillis(1));
        assertThat(forwarding.awaitReleaseAsync("a", Duration.ofMillis(1))).isSameAs(recorder.waited);
        assertThatThrownBy(() -> forwarding.validate("bad")).hasMessage("bad name");
        forwarding.close();
        assertThat(recorder.calls).containsExactly("acquire a", "contend a", "release", "awaitRelease a", "awaitReleaseAsync a",
                "validate bad", "close");
    }

    @Test
    void everyContentionCallReachesTheWrappedContention() throws Exception {
        Contention forwarding = new ForwardingContention(recorder.contention) { };
        assertThat(forwarding.tryAcquire()).containsSame(recorder.lease);
        forwarding.awaitRelease(Duration.ofMillis(1));
        assertThat(forwarding.awaitReleaseAsync(Duration.ofMillis(1))).isSameAs(recorder.waited);
        forwarding.close();
        assertThat(recorder.calls).containsExactly("tryAcquire", "awaitRelease", "awaitReleaseAsync", "close contention");
    }

    @Test
    void aDecoratorWrapsTheLeasesOfBothPathsAndUnwrapsThemOnRelease() throws Exception {
        Driver<String> wrapping = new ForwardingDriver<>(recorder) {
            @Override
            public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
                return super.acquire(id, ttl, timeout).map(Wrapped::new);
            }

            @Override
            public Contention contend(String id, Duration ttl, Duration timeout) {
                return new ForwardingContention(super.contend(id, ttl, timeout)) {
                    @Override
                    public Optional<Lease> tryAcquire() throws InterruptedException {
                        return super.tryAcquire().map(Wrapped::new);
                    }
                };
            }

            @Override
            public void release(Lease lease) {
                super.release(((Wrapped) lease).inner);
            }
        };
        Lease direct = wrapping.acquire("a", TTL, TIMEOUT).orElseThrow();
        Contention contention = wrapping.contend("a", TTL, TIMEOUT);
        Lease waited = contention.tryAcquire().orElseThrow();
        contention.close();
        assertThat(List.of(direct, waited)).allSatisfy(lease -> assertThat(((Wrapped) lease).inner).isSameAs(recorder.lease));
        wrapping.release(waited);
        assertThat(recorder.released).containsExactly(recorder.lease);
        assertThat(recorder.calls).containsExactly("acquire a", "contend a", "tryAcquire", "close contention", "release");
    }

    private record Wrapped(Lease inner) implements Lease {
        @Override
        public void refresh(Duration ttl, Duration timeout) {
        }

        @Override
        public CompletableFuture<Void> lost() {
            return inner.lost();
        }

        @Override
        public long fencingToken() {
            return inner.fencingToken();
        }
    }

    /** A driver (and contention) that overrides every method, noting each call. */
    private static final class Recorder implements Driver<String> {
        final List<String> calls = new ArrayList<>();
        final List<Lease> released = new ArrayList<>();
        final Lease lease = new BaseLease("a", 7) {
            @Override
            public void refresh(Duration ttl, Duration timeout) {
            }
        };
        final CompletableFuture<Void> waited = new CompletableFuture<>();
        final Contention contention = new Contention() {
            @Override
            public Optional<Lease> tryAcquire() {
                calls.add("tryAcquire");
                return Optional.of(lease);
            }

            @Override
            public void awaitRelease(Duration maxWait) {
                calls.add("awaitRelease");
            }

            @Override
            public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
                calls.add("awaitReleaseAsync");
                return waited;
            }

            @Override
            public void close() {
                calls.add("close contention");
            }
        };

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) {
            calls.add("acquire " + id);
            return Optional.of(lease);
        }

        @Override
        public Contention contend(String id, Duration ttl, Duration timeout) {
            calls.add("contend " + id);
            return contention;
        }

        @Override
        public void release(Lease lease) {
            calls.add("release");
            released.add(lease);
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) {
            calls.add("awaitRelease " + id);
        }

        @Override
        public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
            calls.add("awaitReleaseAsync " + id);
            return waited;
        }

        @Override
        public void validate(String id) {
            calls.add("validate " + id);
            throw new IllegalArgumentException("bad name");
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }
}
