package io.robit.jdbc;

import io.robit.spi.support.Arguments;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A per-call time budget, measured on this JVM's monotonic clock. */
record Deadline(long atNanos) {
    /**
     * @throws IllegalArgumentException unless {@code timeout} is positive
     */
    static Deadline after(Duration timeout) {
        Arguments.positive("timeout", timeout);
        return new Deadline(System.nanoTime() + Math.min(timeout.toNanos(), TimeUnit.DAYS.toNanos(1)));
    }

    long remainingNanos() {
        return atNanos - System.nanoTime();
    }

    /** JDBC's query timeout: whole seconds, at least 1 (0 would mean none). */
    int seconds() {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(remainingNanos() + 999_999_999L));
    }
}
