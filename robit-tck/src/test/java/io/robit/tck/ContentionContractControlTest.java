package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Negative controls: the waiting contract fails a driver that keeps a waiter's state by thread, and
 * one whose close leaves its waiter queued. Each case runs one contract method directly.
 */
class ContentionContractControlTest {

    @Test
    void stateKeptByThreadFailsTheCrossThreadContract() {
        Broken contract = new Broken(QueueFixture.Mode.BY_THREAD);
        assertThatThrownBy(() -> {
            try {
                contract.aContentionWaitedOnOneThreadIsCompletedOnAnother();
            } finally {
                contract.closeDrivers();
            }
        }).isInstanceOf(AssertionError.class).hasMessageContaining("gets the lock after the holder released it");
    }

    @Test
    void stateKeptByThreadFailsTheCloseOnAnotherThreadContract() {
        Broken contract = new Broken(QueueFixture.Mode.BY_THREAD);
        assertThatThrownBy(() -> {
            try {
                contract.closingOnAnotherThreadLeavesNothingBehind();
            } finally {
                contract.closeDrivers();
            }
        }).hasMessageContaining("another party takes the freed lock");
    }

    @Test
    void aCloseThatLeavesTheWaiterQueuedFailsTheContract() {
        Broken contract = new Broken(QueueFixture.Mode.LEAKS_ON_CLOSE);
        assertThatThrownBy(() -> {
            try {
                contract.closingOnAnInterruptedThreadStillCleansUp();
            } finally {
                contract.closeDrivers();
            }
        }).hasMessageContaining("another party takes the freed lock");
    }

    @Test
    void aCloseThatLeavesWaitersQueuedFailsTheVirtualThreadContract() {
        Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21");
        Broken contract = new Broken(QueueFixture.Mode.LEAKS_ON_CLOSE);
        assertThatThrownBy(() -> {
            try {
                contract.virtualThreadWaitersTimeOutCleanly();
            } finally {
                contract.closeDrivers();
            }
        }).hasMessageContaining("another party takes the freed lock");
    }

    /** The contract over a broken queueing driver, with a short slack so each failure comes quickly. */
    private static final class Broken extends ContentionContract<String> {
        private final QueueFixture backend;

        Broken(QueueFixture.Mode mode) {
            backend = new QueueFixture(mode);
        }

        @Override
        protected DriverFixture<String> fixture() {
            return backend;
        }

        @Override
        protected Duration slack() {
            return Duration.ofSeconds(1);
        }

        @Override
        protected int virtualThreadWaiters() {
            return 1_000;
        }
    }
}
