package io.robit.redis;

import java.time.Duration;
import java.util.Objects;

/** The argument checks of the driver's entry points, made before any I/O. Stateless. */
final class Arguments {
    private Arguments() {
    }

    /**
     * Rejects null, empty, too long (over {@code maxBytes} UTF-8 bytes) and not UTF-8-representable
     * (unpaired surrogate) lock names.
     */
    static void checkName(String id, int maxBytes) {
        Objects.requireNonNull(id, "lock id must not be null");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("lock id must not be empty");
        }
        int bytes = 0;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("lock id has an unpaired surrogate at index " + i + " and cannot be stored in Redis as UTF-8: '"
                        + abbreviate(id) + "'");
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        if (bytes > maxBytes) {
            throw new IllegalArgumentException("lock id must be at most " + maxBytes + " bytes in UTF-8, got " + bytes + " bytes: '"
                    + abbreviate(id) + "'");
        }
    }

    /** Redis keeps expiries in ms: a ttl under 1 ms cannot be stored. */
    static long checkTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms for Redis, got " + ttl);
        }
        return ttl.toMillis();
    }

    static void checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    private static String abbreviate(String id) {
        return id.length() <= 40 ? id : id.substring(0, 40) + "...";
    }
}
