package io.robit.faults;

import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The orphan check of a quiesced run: no one may hold any of its lock names any more, so a fresh
 * client directly on the backend must get each within the run's ttl plus a slack. It asks the
 * driver itself, not a {@code Mutex}: a grant whose answer came slowly is still a grant (a
 * {@code Mutex} gives back a grant that returns after its local deadline and reports the lock
 * taken, which is how the first round's check reported an orphan whenever its first request, on a
 * cold client of a loaded host, took longer than its lease). The client is warmed up first, on a name
 * no worker uses, so that connecting does not eat the deadline. An attempt that fails with an error
 * may have been granted with its answer lost, leaving the name held by the check itself for its own
 * lease: after such an error the name is given that lease more. Not thread-safe.
 */
final class OrphanCheck {
    private static final long RETRY_MILLIS = 100;
    private static final long WARM_UP_NANOS = 60_000_000_000L;

    private final Driver<String> driver;
    private final Duration runTtl;
    private final Duration slack;
    private final Duration ownTtl;

    /**
     * @param runTtl the lease length the run's workers used
     * @param slack how long after {@code runTtl} a name may still be taken
     * @param ownTtl the lease the check asks for itself
     */
    OrphanCheck(Driver<String> driver, Duration runTtl, Duration slack, Duration ownTtl) {
        this.driver = driver;
        this.runTtl = runTtl;
        this.slack = slack;
        this.ownTtl = ownTtl;
    }

    /**
     * Null when every name was free in time, else the first that was not and what each attempt on it
     * saw. {@code warmUp} is a name no one else uses.
     */
    String check(String warmUp, List<String> names) throws InterruptedException {
        String cold = warmUp(warmUp);
        long deadline = System.nanoTime() + runTtl.plus(slack).toNanos();
        for (String name : names) {
            String seen = take(name, deadline);
            if (seen != null) {
                return name + ": " + seen + cold;
            }
        }
        return null;
    }

    // Connects (and loads the client's classes) before the deadline starts; bounded.
    private String warmUp(String name) throws InterruptedException {
        long start = System.nanoTime();
        String last = "";
        while (System.nanoTime() - start < WARM_UP_NANOS) {
            try {
                Optional<Lease> lease = driver.acquire(name, ownTtl, Duration.ofSeconds(10));
                lease.ifPresent(driver::release);
                return "; warm-up took " + (System.nanoTime() - start) / 1_000_000 + " ms";
            } catch (RuntimeException e) {
                last = e.toString();
            }
            Thread.sleep(RETRY_MILLIS);
        }
        return "; warm-up never answered: " + last;
    }

    // All names share the deadline; an error pushes this name's past the check's own possible lease.
    private String take(String name, long deadline) throws InterruptedException {
        int taken = 0;
        int errors = 0;
        String firstError = null;
        for (int attempt = 0; attempt < 1000 && (attempt == 0 || System.nanoTime() - deadline < 0); attempt++) {
            long sent = System.nanoTime();
            try {
                Optional<Lease> lease = driver.acquire(name, ownTtl, Duration.ofSeconds(3));
                if (lease.isPresent()) {
                    driver.release(lease.get());
                    return null;
                }
                taken++;
            } catch (RuntimeException e) {
                errors++;
                firstError = firstError == null ? e.toString() : firstError;
                deadline = Math.max(deadline, sent + ownTtl.plus(slack).toNanos());
            }
            Thread.sleep(RETRY_MILLIS);
        }
        return "held by someone else " + taken + " times" + (errors == 0 ? "" : ", " + errors + " errors (first: " + firstError + ")");
    }
}
