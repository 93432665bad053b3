package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.spi.Driver;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * {@link DriverConformance} runs every contract, or exactly those its {@link DriverConformance.Contracts}
 * names, and opens the fixture once per class. The classes run here have a backend that fails every
 * driver it is asked for, so each contract test fails at once: what is counted is which ran.
 */
class DriverConformanceTest {
    // The driver contract with its nested waiting contract (ContentionContract).
    private static final int DRIVER_TESTS = 17 + 6;
    private static final int MUTEX_AND_SAFETY_TESTS = 24;
    private static final int LEADER_TESTS = 5;
    private static final int SESSION_LEASE_TESTS = 2;
    private static final int FAIRNESS_TESTS = 2;

    @Test
    void withoutContractsEveryContractRunsOverOneFixture() {
        Unreachable.opened = 0;
        TestExecutionSummary summary = run(Everything.class);
        assertThat(summary.getTestsStartedCount()).isEqualTo(DRIVER_TESTS + MUTEX_AND_SAFETY_TESTS + LEADER_TESTS + SESSION_LEASE_TESTS);
        assertThat(summary.getContainersSkippedCount()).as("the fairness contract, which this driver does not promise").isEqualTo(1);
        assertThat(Unreachable.opened).as("fixtures opened for the class").isEqualTo(1);
    }

    @Test
    void fairWaitingAddsTheFairnessContract() {
        TestExecutionSummary summary = run(Fair.class);
        assertThat(summary.getTestsStartedCount())
                .isEqualTo(DRIVER_TESTS + MUTEX_AND_SAFETY_TESTS + LEADER_TESTS + SESSION_LEASE_TESTS + FAIRNESS_TESTS);
        assertThat(summary.getContainersSkippedCount()).isZero();
    }

    @Test
    void contractsCanLeaveFairnessOutOfAFairDriver() {
        TestExecutionSummary summary = run(FairLeaderOnly.class);
        assertThat(summary.getTestsStartedCount()).isEqualTo(LEADER_TESTS);
    }

    @Test
    void contractsRunsOnlyTheNamedOnes() {
        TestExecutionSummary summary = run(LeaderOnly.class);
        assertThat(summary.getTestsStartedCount()).isEqualTo(LEADER_TESTS);
        assertThat(summary.getContainersSkippedCount()).as("the driver contract, its nested waiting contract, the mutex, session-lease and fairness contracts").isEqualTo(5);
    }

    @Test
    void anEmptyContractsRunsNothing() {
        TestExecutionSummary summary = run(Nothing.class);
        assertThat(summary.getTestsStartedCount()).isZero();
        assertThat(summary.getContainersSkippedCount()).as("five contracts and the driver contract's nested waiting contract").isEqualTo(6);
    }

    private static TestExecutionSummary run(Class<?> conformance) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(conformance)).build(), listener);
        return listener.getSummary();
    }

    /** A backend that cannot be reached: every test fails on its first driver. */
    static final class Unreachable implements DriverFixture<String> {
        static int opened;

        Unreachable() {
            opened++;
        }

        @Override
        public Driver<String> newDriver() {
            throw new IllegalStateException("unreachable backend");
        }

        @Override
        public String newLockId() {
            return "lock-" + UUID.randomUUID();
        }

        @Override
        public void breakLease(String id) {
            throw new IllegalStateException("unreachable backend");
        }
    }

    static class Everything extends DriverConformance<String> {
        @Override
        protected DriverFixture<String> openFixture() {
            return new Unreachable();
        }
    }

    @DriverConformance.Contracts(DriverConformance.Contract.LEADER_ELECTION)
    static class LeaderOnly extends Everything {
    }

    @DriverConformance.Contracts({})
    static class Nothing extends Everything {
    }

    @DriverConformance.FairWaiting
    static class Fair extends Everything {
    }

    @DriverConformance.Contracts(DriverConformance.Contract.LEADER_ELECTION)
    static class FairLeaderOnly extends Fair {
    }
}
