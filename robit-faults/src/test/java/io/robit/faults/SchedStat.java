package io.robit.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Linux scheduler's account of the calling thread ({@code /proc/thread-self/schedstat}): nanoseconds
 * on a CPU, nanoseconds runnable but waiting on a runqueue, and timeslices run. Differences of two
 * readings tell, for a thread that woke late, whether it was waiting for a CPU (starved), running
 * (busy) or neither (blocked or sleeping). Immutable.
 *
 * @param runNanos time on a CPU since the thread started
 * @param waitNanos time runnable on a runqueue without a CPU since the thread started
 * @param slices timeslices run since the thread started
 */
record SchedStat(long runNanos, long waitNanos, long slices) {
    private static final Path SELF = Path.of("/proc/thread-self/schedstat");

    /** The calling thread's reading, or null where the kernel does not offer it (not Linux, no schedstats). */
    static SchedStat self() {
        try {
            return parse(new String(Files.readAllBytes(SELF), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static SchedStat parse(String line) {
        String[] f = line.strip().split("\\s+");
        return new SchedStat(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
    }

    /** What happened between {@code earlier} and this reading. */
    SchedStat minus(SchedStat earlier) {
        return new SchedStat(runNanos - earlier.runNanos, waitNanos - earlier.waitNanos, slices - earlier.slices);
    }
}
