package io.robit.faults;

import java.util.ArrayList;
import java.util.List;

/**
 * The GC-pause fault, run inside a worker: allocate and retain small objects until the old
 * generation is mostly full, drop them, repeat, for a while. With the workers' small serial-GC
 * heap this makes full collections that stop every thread of the process for tens to hundreds
 * of milliseconds, as a real application's allocation burst does. The stall detector measures the
 * pauses. Confined to the calling thread.
 */
final class GcPressure {
    private GcPressure() {
    }

    /** Allocates hard for about {@code millis}; keeps at most ~60% of the heap live, so the process never runs out. */
    static void allocateHard(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        long budget = (long) (Runtime.getRuntime().maxMemory() * 0.6);
        while (System.nanoTime() - end < 0) {
            List<long[]> live = new ArrayList<>();
            long bytes = 0;
            while (bytes < budget && System.nanoTime() - end < 0) {
                live.add(new long[16]); // ~144 bytes: many small objects make marking slow
                bytes += 144;
            }
            live.clear();
        }
    }
}
