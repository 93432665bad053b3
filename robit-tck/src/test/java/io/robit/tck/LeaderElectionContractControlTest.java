package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Negative control: the cut-off leader test fails a driver whose backend frees a lease before the
 * ttl the core asked for (it asks the server for half) and never tells the holder, so another
 * candidate is elected while the old leader's local deadline has not yet passed.
 */
class LeaderElectionContractControlTest {

    @Test
    void aBackendLeaseShorterThanTheTtlFailsTheRevokedBeforeElectedContract() {
        Over contract = new Over();
        assertThatThrownBy(() -> {
            try {
                contract.aCutOffLeaderIsRevokedBeforeAnotherIsElected();
            } finally {
                contract.closeElections();
                contract.closeDrivers();
            }
        }).isInstanceOf(AssertionError.class).hasMessageContaining("the cut-off leader still thought it led when another was elected");
    }

    /** The contract over in-memory leases of half the ttl asked for. */
    private static final class Over extends LeaderElectionContract<String> {
        private final LocalFixture fixture = new LocalFixture(HalfTtlDriver::new);

        @Override
        protected DriverFixture<String> fixture() {
            return fixture;
        }
    }

    /** Asks the backend for half the ttl on every acquire and refresh, and hides the backend's loss signal. */
    private record HalfTtlDriver(Driver<String> backend) implements Driver<String> {
        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            return backend.acquire(id, ttl.dividedBy(2), timeout).map(HalfTtlLease::new);
        }

        @Override
        public void release(Lease lease) {
            backend.release(((HalfTtlLease) lease).inner());
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            backend.awaitRelease(id, maxWait);
        }
    }

    private record HalfTtlLease(Lease inner) implements Lease {
        @Override
        public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
            inner.refresh(ttl.dividedBy(2), timeout);
        }

        @Override
        public CompletableFuture<Void> lost() {
            return new CompletableFuture<>();
        }

        @Override
        public long fencingToken() {
            return inner.fencingToken();
        }
    }
}
