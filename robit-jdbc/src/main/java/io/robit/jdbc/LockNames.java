package io.robit.jdbc;

import java.util.Objects;

/** The lock names every dialect stores exactly, checked before any I/O. Stateless. */
final class LockNames {
    private LockNames() {
    }

    /**
     * Accepts 1 to {@code maxLength} code points of well-formed Unicode without NUL (PostgreSQL
     * rejects NUL in text; unpaired surrogates cannot be encoded as UTF-8).
     *
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException saying what is wrong, with the name (shortened if long)
     */
    static void check(String id, int maxLength) {
        Objects.requireNonNull(id, "lock id must not be null");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("lock id must not be empty");
        }
        int length = id.codePointCount(0, id.length());
        if (length > maxLength) {
            throw new IllegalArgumentException("lock id must be at most " + maxLength + " characters, got " + length
                    + ": '" + id.substring(0, id.offsetByCodePoints(0, 40)) + "...'");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == '\0') {
                throw new IllegalArgumentException("lock id must not contain NUL characters, got '" + id.replace('\0', '?') + "'");
            }
            if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("lock id must be well-formed Unicode (unpaired surrogate at index " + i + ")");
            }
        }
    }
}
