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
 * <p>A lease handed over by a release (PostgreSQL's queue) is one too: the attempt that claimed it
 * set its expiry to the ttl from the claim, after the attempt was sent, so the core's local deadline
 * (counted from the send) holds for it as for a take.
 */
final class JdbcLease extends BaseLease {
    private final JdbcDriver driver;
    private final String name;
    private final String owner;
    JdbcLease(JdbcDriver driver, String name, String owner, long token) {
        super(name, token);
        this.driver = driver;
        this.name = name;
        this.owner = owner;
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
        return "JdbcLease[" + name + ", token " + fencingToken() + ", owner " + owner + "]";
    }
}
