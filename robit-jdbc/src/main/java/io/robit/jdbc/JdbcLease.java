package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.support.BaseLease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * One lease granted by a {@link JdbcDriver}: the lock name, this lease's unique owner string and
 * its fencing token. Loss is learnt from a refresh that finds the row no longer ours, and told once
 * ({@link BaseLease}). Thread-safe.
 *
 * <p>A lease handed over by a release (PostgreSQL's queue) was granted before the attempt that
 * found it, which the core counts the first local deadline from: it guarantees only what was left
 * of it when that attempt read it, never more than the ttl from the moment the attempt was sent.
 * The core trusts every later refresh for that window too, which is only conservative (the
 * difference is the waiter's wake-up, milliseconds).
 */
final class JdbcLease extends BaseLease {
    private final JdbcDriver driver;
    private final String name;
    private final String owner;
    /** What was left of a handed-over lease when read, in ms; null for a lease taken by the attempt itself. */
    private final Long handedLeftMillis;

    JdbcLease(JdbcDriver driver, String name, String owner, long token, Long handedLeftMillis) {
        super(name, token);
        this.driver = driver;
        this.name = name;
        this.owner = owner;
        this.handedLeftMillis = handedLeftMillis;
    }

    @Override
    public Duration guaranteedTtl(Duration requested) {
        if (handedLeftMillis == null) {
            return requested;
        }
        Duration left = Duration.ofMillis(Math.max(0, handedLeftMillis));
        return left.compareTo(requested) < 0 ? left : requested;
    }

    @Override
    public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
        if (isLost()) {
            throw recordedLoss();
        }
        if (driver.extend(this, ttl, timeout)) {
            return;
        }
        LockLostException loss = whyLost();
        if (!signalLost(loss) && isLost()) {
            throw recordedLoss(); // the first recorded loss, should two refreshes race
        }
        throw loss;
    }

    /** Reads the row once more to say why it is not ours; a failure to read is reported as expiry. */
    private LockLostException whyLost() {
        Optional<LockRow> row;
        try {
            row = driver.store().read(name);
        } catch (DriverException | IllegalStateException e) {
            return new LockLostException(name, LossReason.EXPIRED, "the lease is no longer ours (" + driver.backend() + ")", e);
        }
        if (row.isEmpty()) {
            return new LockLostException(name, LossReason.GONE, "the lease row was deleted");
        }
        LockRow current = row.get();
        if (current.owner() == null) {
            return new LockLostException(name, LossReason.GONE, "the lease was cleared by another client");
        }
        if (!current.owner().equals(owner)) {
            return new LockLostException(name, LossReason.TAKEN_OVER, "held by " + current.owner() + " (fencing token " + current.token() + ")");
        }
        return new LockLostException(name, LossReason.EXPIRED, "the lease expired by the database's clock");
    }

    /** The loss {@link #lost()} completed with. */
    private LockLostException recordedLoss() {
        try {
            lost().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof LockLostException loss) {
                return loss;
            }
        }
        throw new IllegalStateException("lost() completed without a LockLostException");
    }

    JdbcDriver driver() {
        return driver;
    }

    String name() {
        return name;
    }

    String owner() {
        return owner;
    }

    @Override
    public String toString() {
        return "JdbcLease[" + name + ", token " + fencingToken() + ", owner " + owner + (handedLeftMillis == null ? "" : ", handed over") + "]";
    }
}
