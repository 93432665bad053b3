package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@link SessionLeaseContract} over an in-memory session backend: it passes a correct driver and
 * fails one that tells only one hold when the session ends, and one that gives each lease a
 * session of its own (a keep-alive per hold). Each case runs one contract method directly.
 */
class SessionLeaseContractControlTest {

    @Test
    void aCorrectSessionDriverPassesTheContract() throws Exception {
        Over contract = new Over(SessionFixture.Mode.CORRECT);
        try {
            contract.aLostSessionTellsEveryHoldOnItOnce();
            contract.holdsOnALiveSessionNeedNoPerHoldRequest();
        } finally {
            contract.closeDrivers();
        }
    }

    @Test
    void aDriverThatTellsOnlyOneHoldFailsTheContract() {
        Over contract = new Over(SessionFixture.Mode.TELLS_ONLY_ONE);
        assertThatThrownBy(() -> {
            try {
                contract.aLostSessionTellsEveryHoldOnItOnce();
            } finally {
                contract.closeDrivers();
            }
        }).hasMessageContaining("every hold on the ended session is told");
    }

    @Test
    void aSessionPerLeaseFailsTheNoPerHoldRequestContract() {
        Over contract = new Over(SessionFixture.Mode.SESSION_PER_LEASE);
        assertThatThrownBy(() -> {
            try {
                contract.holdsOnALiveSessionNeedNoPerHoldRequest();
            } finally {
                contract.closeDrivers();
            }
        }).isInstanceOf(AssertionError.class).hasMessageContaining("about one per period, not one per hold");
    }

    @Test
    void aSessionPerLeaseFailsTheSharedSessionCheckOfTheLossContract() {
        Over contract = new Over(SessionFixture.Mode.SESSION_PER_LEASE);
        assertThatThrownBy(() -> {
            try {
                contract.aLostSessionTellsEveryHoldOnItOnce();
            } finally {
                contract.closeDrivers();
            }
        }).isInstanceOf(AssertionError.class).hasMessageContaining("share one session");
    }

    /** The contract over the fake backend, with short waits so that each failure comes quickly. */
    private static final class Over extends SessionLeaseContract<String> {
        private final SessionFixture backend;

        Over(SessionFixture.Mode mode) {
            backend = new SessionFixture(mode);
        }

        @Override
        protected DriverFixture<String> fixture() {
            return backend;
        }

        @Override
        protected Duration ttl() {
            return Duration.ofMillis(1_500);
        }

        @Override
        protected Duration slack() {
            return Duration.ofSeconds(1);
        }
    }
}
