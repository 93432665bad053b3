package io.robit.jdbc;

import io.robit.DriverException;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One lease granted by a {@link JdbcDriver}: the lock name, this lease's unique owner string and
 * its fencing token. Loss is learnt from a refresh that finds the row no longer ours. Thread-safe.
 */
final class JdbcLease implements Lease {
    private final JdbcDriver driver;
    private final String name;
    private final String owner;
    private final long token;
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    private final AtomicBoolean released = new AtomicBoolean();

    JdbcLease(JdbcDriver driver, String name, String owner, long token) {
        this.driver = driver;
        this.name = name;
        this.owner = owner;
        this.token = token;
    }

    @Override
    public void refresh(Duration ttl, Duration timeout) throws InterruptedException {
        if (lost.isDone()) {
            throw lossOf(lost);
        }
        if (driver.extend(this, ttl, timeout)) {
            return;
        }
        LockLostException loss = whyLost();
        lost.completeExceptionally(loss);
        throw lossOf(lost); // the first recorded loss, should two refreshes race
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

    private static LockLostException lossOf(CompletableFuture<Void> lost) {
        try {
            lost.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof LockLostException loss) {
                return loss;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("lost() completed without a LockLostException");
    }

    @Override
    public CompletableFuture<Void> lost() {
        return lost;
    }

    @Override
    public long fencingToken() {
        return token;
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

    /** Marks this lease released; false if it was already. */
    boolean markReleased() {
        return released.compareAndSet(false, true);
    }

    @Override
    public String toString() {
        return "JdbcLease[" + name + ", token " + token + ", owner " + owner + "]";
    }
}
