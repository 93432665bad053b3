package io.robit.jdbc;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the lease table as the database sees it now, from {@link JdbcDriver#inspect} or
 * {@link JdbcDriver#list}. A snapshot: it may be stale as soon as it is read.
 *
 * @param name the lock name
 * @param owner the holder's owner string ({@code pid@host/uuid} of the holding driver's process),
 *     or {@code null} when the lock is free (released, or its lease expired by the database's clock)
 * @param fencingToken the token of the latest acquisition (held or not); it only grows
 * @param expiresAt when the current lease expires, by the database server's clock; empty when free
 */
public record LockInfo(String name, String owner, long fencingToken, Optional<Instant> expiresAt) {

    /** Checks the components; {@code owner} and {@code expiresAt} are present together or not at all. */
    public LockInfo {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(expiresAt, "expiresAt must not be null (use Optional.empty())");
        if ((owner == null) != expiresAt.isEmpty()) {
            throw new IllegalArgumentException("owner and expiresAt must be both set or both empty, got owner " + owner
                    + " and expiresAt " + expiresAt);
        }
    }

    /** Whether someone holds the lock (an unexpired lease, by the database's clock). */
    public boolean isHeld() {
        return owner != null;
    }
}
