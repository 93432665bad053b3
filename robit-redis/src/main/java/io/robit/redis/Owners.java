package io.robit.redis;

import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The owner strings of one driver's acquisitions, stored as the lock key's value: {@code
 * pid@host/<random>:<counter>}. The process part is what {@code robit status} and {@code list()}
 * show (see {@code LockInfo.owner}); the random part tells this driver's holds apart from every
 * other driver's, and the counter each acquisition from the others. Thread-safe.
 */
final class Owners {
    private final String prefix;
    private final AtomicLong sequence = new AtomicLong();

    Owners() {
        byte[] random = new byte[9];
        new SecureRandom().nextBytes(random);
        this.prefix = ManagementFactory.getRuntimeMXBean().getName() + "/" + Base64.getUrlEncoder().withoutPadding().encodeToString(random) + ":";
    }

    /** A new owner string, never returned before by this instance. */
    String next() {
        return prefix + Long.toUnsignedString(sequence.incrementAndGet(), 36);
    }
}
