package io.robit.faults;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The orphan check of a quiesced run: no one may hold any of its lock names any more, so a fresh
 * client directly on the backend must get each within the run's ttl plus a slack. The check's own
 * lease is long, so that a slow answer on a loaded host cannot make it give back what it got; but
 * then an attempt that failed with an error (the backend may have granted it and the answer got
 * lost: a timeout) may leave the name held <em>by the check itself</em> for that lease. After such
 * an error the name is given the check's own lease more before it counts as orphaned (the first
 * round reported its own lost grant as an orphaned lock). Not thread-safe.
 */
final class OrphanCheck {
    private static final long RETRY_MILLIS = 100;

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

    /** Null when every name was free in time, else the first that was not and what each attempt on it saw. */
    String check(List<String> names) throws InterruptedException {
        long deadline = System.nanoTime() + runTtl.plus(slack).toNanos();
        for (String name : names) {
            String seen = take(name, deadline);
            if (seen != null) {
                return name + ": " + seen;
            }
        }
        return null;
    }

    // All names share the first deadline; an error pushes this name's past the check's own possible lease.
    private String take(String name, long deadline) throws InterruptedException {
        Mutex<String> mutex = Mutex.builder(name, ownTtl, driver).renewTimeout(Duration.ofSeconds(3)).build();
        int taken = 0;
        int errors = 0;
        String firstError = null;
        // Every name gets at least one attempt: a fresh client's first connection can be slow on a busy host.
        for (int attempt = 0; attempt < 1000 && (attempt == 0 || System.nanoTime() - deadline < 0); attempt++) {
            long sent = System.nanoTime();
            try {
                Optional<Held> held = mutex.tryLock();
                if (held.isPresent()) {
                    held.get().close();
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
