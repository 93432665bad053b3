package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * {@link FairnessContract} passes a fair queueing driver ({@link QueueFixture}: only the head of the
 * lock's queue may take it) and fails the in-memory {@link io.robit.local.LocalDriver}, whose release
 * wakes every waiter to race the releaser, which asks again at once and usually wins (seen at load
 * 70: 35 to 39,727 acquisitions by the loops while the newcomer waited, per round; the bound is 8).
 * Each case runs one contract method directly.
 */
class FairnessContractControlTest {

    @Test
    void aQueueingDriverPassesTheContract() throws Exception {
        Over contract = new Over(new QueueFixture(QueueFixture.Mode.CORRECT));
        try {
            contract.aNewcomerGetsTheLockWithinAFewHandOversWhileOthersLoop();
            contract.aReleaserThatLocksAgainQueuesBehindTheWaiter();
        } finally {
            contract.closeDrivers();
        }
    }

    @Test
    void aReleaserThatTakesTheLockBackFailsTheContract() {
        Over contract = new Over(new LocalFixture());
        assertThatThrownBy(() -> {
            try {
                contract.aReleaserThatLocksAgainQueuesBehindTheWaiter();
            } finally {
                contract.closeDrivers();
            }
        }).isInstanceOf(AssertionError.class).hasMessageContaining("the releaser waits its turn behind the waiter");
    }

    @Test
    void aNewcomerThatRacesTheLoopsFailsTheContract() {
        Over contract = new Over(new LocalFixture());
        assertThatThrownBy(() -> {
            try {
                contract.aNewcomerGetsTheLockWithinAFewHandOversWhileOthersLoop();
            } finally {
                contract.closeDrivers();
            }
        }).isInstanceOf(AssertionError.class).hasMessageContaining("while the newcomer waited");
    }

    /** The contract over an in-memory backend. */
    private static final class Over extends FairnessContract<String> {
        private final DriverFixture<String> backend;

        Over(DriverFixture<String> backend) {
            this.backend = backend;
        }

        @Override
        protected DriverFixture<String> fixture() {
            return backend;
        }
    }
}
