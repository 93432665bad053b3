package io.robit.jdbc;

import io.robit.spi.LockInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * A lease-table row and the database's time when it was read ({@code inspect}/{@code list}
 * columns: name, owner, fencing_token, expires_at_ms, now_ms). Immutable.
 */
record LockRow(String name, String owner, long token, Long expiresAtMillis, long nowMillis) {

    static LockRow read(ResultSet row) throws SQLException {
        String name = row.getString(1);
        String owner = row.getString(2);
        long token = row.getLong(3);
        long expires = row.getLong(4);
        Long expiresAt = row.wasNull() ? null : expires;
        return new LockRow(name, owner, token, expiresAt, row.getLong(5));
    }

    /** Held: an owner and an expiry still ahead by the database's clock. */
    boolean isHeld() {
        return owner != null && expiresAtMillis != null && expiresAtMillis > nowMillis;
    }

    /** Milliseconds until the lease expires by the database's clock; 0 when free. */
    long remainingMillis() {
        return isHeld() ? expiresAtMillis - nowMillis : 0;
    }

    /** As {@link io.robit.spi.Inspectable} reports it; the table keeps no acquisition time. */
    LockInfo toLockInfo() {
        return isHeld() ? new LockInfo(name, Optional.of(owner), token, Optional.empty(), Optional.of(Duration.ofMillis(remainingMillis())))
                : new LockInfo(name, Optional.empty(), token, Optional.empty(), Optional.empty());
    }
}
