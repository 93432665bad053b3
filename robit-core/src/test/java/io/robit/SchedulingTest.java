package io.robit;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.internal.Scheduling;
import java.util.concurrent.ThreadPoolExecutor;
import org.junit.jupiter.api.Test;

/**
 * The timer thread hands work to the pools, so no pool may need to start a thread later: starting
 * one makes the caller wait until the new thread is scheduled, which on a loaded host held every
 * deadline check behind it (the fault suite's long tier, 2026-12-01).
 */
class SchedulingTest {
    @Test
    void theLossPoolsHaveEveryThreadRunningBeforeAnyLoss() {
        assertThat(((ThreadPoolExecutor) Scheduling.notifiers()).getPoolSize()).isEqualTo(Scheduling.NOTIFIERS);
        assertThat(((ThreadPoolExecutor) Scheduling.releases()).getPoolSize()).isEqualTo(Scheduling.RELEASERS);
    }

    @Test
    void noPoolThreadRetiresSoNoneIsStartedAgainByTheTimer() {
        for (Object pool : new Object[] {Scheduling.workers(), Scheduling.notifiers(), Scheduling.releases()}) {
            assertThat(((ThreadPoolExecutor) pool).allowsCoreThreadTimeOut()).as("%s lets idle threads retire", pool).isFalse();
        }
    }
}
