package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workers' evidence of starvation and JVM pauses is what the checker excuses late notices on,
 * so its readings are checked against the real kernel and a real JVM: the safepoint log's stamps are
 * System.nanoTime readings, and the schedstat account tells a running thread from a sleeping one.
 */
class WorkerEvidenceTest {

    /** Forces a full collection: a safepoint the log must show. */
    public static final class CollectOnce {
        public static void main(String[] args) {
            System.gc();
        }
    }

    @Test
    void safepointLogIsStampedWithTheHistoriesClock(@TempDir Path dir) throws Exception {
        long before = System.nanoTime();
        Process jvm = new ProcessBuilder(FaultRun.javaBinary(), "-XX:+UseSerialGC", FaultRun.safepointLog(dir, "w0.0"), "-cp",
                ServerProcess.classPath(), CollectOnce.class.getName()).inheritIO().start();
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        long after = System.nanoTime();
        assertThat(jvm.exitValue()).isZero();

        List<SafepointLog.Pause> pauses = SafepointLog.read(dir, "w0.0");
        assertThat(pauses).extracting(SafepointLog.Pause::operation).contains("GenCollectFull");
        for (SafepointLog.Pause p : pauses) {
            assertThat(p.from()).isBetween(before, p.to());
            assertThat(p.to()).isBetween(p.from(), after);
        }
        assertThat(SafepointLog.read(dir, "w0.1")).isEmpty(); // another worker's name: not this log
    }

    @Test
    void safepointLineGivesTheStretchAllThreadsWereStopped() {
        SafepointLog.Pause p = SafepointLog.parse("[225599852287ns] Safepoint \"GenCollectForAllocation\", Time since last: 364402546 ns, "
                + "Reaching safepoint: 6590 ns, Cleanup: 125617 ns, At safepoint: 63508065 ns, Total: 63640272 ns");
        assertThat(p).isEqualTo(new SafepointLog.Pause(225599852287L - (63640272L - 6590L), 225599852287L, "GenCollectForAllocation"));
        assertThat(SafepointLog.parse("[225599852287ns] Safepoint \"Gen")).isNull(); // torn by a kill
    }

    @Test
    void schedStatTellsRunningFromSleeping() throws Exception {
        assumeThat(SchedStat.self()).as("/proc/thread-self/schedstat (Linux)").isNotNull();
        // Spinning, the thread is always runnable: running, or waiting for a CPU on a loaded host. Only a
        // safepoint (a GC of the test JVM) parks it, so a spin is tried up to 3 times: a reading that
        // does not count running and waiting fails all three.
        long best = 0;
        for (int attempt = 0; attempt < 3 && best <= 80; attempt++) {
            long t0 = System.nanoTime();
            SchedStat start = SchedStat.self();
            long spinUntil = t0 + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() - spinUntil < 0) {
                Thread.onSpinWait();
            }
            SchedStat spun = SchedStat.self().minus(start);
            long percent = (spun.runNanos() + spun.waitNanos()) * 100 / (System.nanoTime() - t0);
            best = Math.max(best, percent);
        }
        assertThat(best).as("percent of a spin the thread was running or runnable").isGreaterThan(80);

        // Asleep it is neither for at least 300 ms, however long the wall time (a loaded host wakes it
        // late, which is waiting).
        long t1 = System.nanoTime();
        SchedStat beforeSleep = SchedStat.self();
        Thread.sleep(300);
        SchedStat slept = SchedStat.self().minus(beforeSleep);
        long t2 = System.nanoTime();
        assertThat((t2 - t1) - slept.runNanos() - slept.waitNanos()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(250));
        assertThat(SchedStat.parse("625396675 2393663568 1476\n")).isEqualTo(new SchedStat(625396675L, 2393663568L, 1476L));
    }
}
