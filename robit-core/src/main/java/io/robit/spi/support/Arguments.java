package io.robit.spi.support;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks for drivers, made before any I/O, whose messages name the argument and its value:
 * durations and lock names. Stateless.
 */
public final class Arguments {
    // A long lock name is cut to this many characters in messages.
    private static final int SHOWN = 40;

    private Arguments() {
    }

    /**
     * {@code value}, if it is positive.
     *
     * @param name the argument's name, for the message
     * @param value the duration
     * @return {@code value}
     * @throws NullPointerException {@code value} is null
     * @throws IllegalArgumentException {@code value} is zero or negative
     */
    public static Duration positive(String name, Duration value) {
        Objects.requireNonNull(value, () -> name + " must not be null");
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }

    /**
     * {@code value}, if it is zero or positive.
     *
     * @param name the argument's name, for the message
     * @param value the duration
     * @return {@code value}
     * @throws NullPointerException {@code value} is null
     * @throws IllegalArgumentException {@code value} is negative
     */
    public static Duration notNegative(String name, Duration value) {
        Objects.requireNonNull(value, () -> name + " must not be null");
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
        return value;
    }

    /**
     * Checks a lock name a backend stores as UTF-8 bytes: not null, not empty, well-formed Unicode
     * (an unpaired surrogate has no UTF-8 form), at most {@code maxBytes} bytes in UTF-8.
     *
     * @param id the lock name
     * @param maxBytes the most UTF-8 bytes the backend stores
     * @return {@code id}
     * @throws NullPointerException {@code id} is null
     * @throws IllegalArgumentException saying what is wrong, with the name (shortened if long)
     */
    public static String lockNameBytes(String id, int maxBytes) {
        int bytes = wellFormed(id, false);
        if (bytes > maxBytes) {
            throw new IllegalArgumentException("lock id must be at most " + maxBytes + " bytes in UTF-8, got " + bytes + ": '"
                    + abbreviate(id) + "'");
        }
        return id;
    }

    /**
     * Checks a lock name a backend stores as characters: not null, not empty, well-formed Unicode,
     * no NUL character when {@code noNul} (PostgreSQL text has none), at most {@code maxCodePoints}
     * code points.
     *
     * @param id the lock name
     * @param maxCodePoints the most characters (code points) the backend stores
     * @param noNul whether NUL characters are refused
     * @return {@code id}
     * @throws NullPointerException {@code id} is null
     * @throws IllegalArgumentException saying what is wrong, with the name (shortened if long)
     */
    public static String lockNameCharacters(String id, int maxCodePoints, boolean noNul) {
        wellFormed(id, noNul);
        int length = id.codePointCount(0, id.length());
        if (length > maxCodePoints) {
            throw new IllegalArgumentException("lock id must be at most " + maxCodePoints + " characters, got " + length + ": '"
                    + abbreviate(id) + "'");
        }
        return id;
    }

    /**
     * {@code id} for a message: its first 40 characters and "..." when longer, NUL shown as '?'.
     *
     * @param id the lock name
     * @return the name as a message shows it
     */
    public static String abbreviate(String id) {
        String shown = id.length() <= SHOWN ? id : id.substring(0, Character.isHighSurrogate(id.charAt(SHOWN - 1)) ? SHOWN - 1 : SHOWN) + "...";
        return shown.replace('\0', '?');
    }

    /** Not null, not empty, no unpaired surrogate (and no NUL if asked); returns the UTF-8 length. */
    private static int wellFormed(String id, boolean noNul) {
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
                throw new IllegalArgumentException("lock id must be well-formed Unicode (unpaired surrogate at index " + i + "): '"
                        + abbreviate(id) + "'");
            } else if (c == '\0' && noNul) {
                throw new IllegalArgumentException("lock id must not contain NUL characters, got '" + abbreviate(id) + "'");
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        return bytes;
    }
}
