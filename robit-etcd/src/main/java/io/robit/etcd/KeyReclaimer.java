package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes keys of ours that no hold owns any more: a release that failed, an acquire given up after
 * its key was written, an acquire whose outcome is unknown. Every delete is owner-checked (the key's
 * create revision must still be the one we wrote), so it never frees a later holder; it is retried
 * in the background until it succeeds, the key is no longer ours, etcd drops the lease (which takes
 * the key with it) or the driver closes. This, never revoking a lease other holds share, is how a
 * stranded key ends. Thread-safe; never blocks: requests are asynchronous and retries are timer tasks.
 */
final class KeyReclaimer {
    private static final Logger LOG = LoggerFactory.getLogger(KeyReclaimer.class);
    private static final long FIRST_RETRY_MILLIS = 100;
    private static final long MAX_RETRY_MILLIS = 5_000;
    /** How many times a key whose acquire had an unknown outcome is looked for after the first look. */
    private static final int UNCERTAIN_RECHECKS = 2;

    private final EtcdStore store;
    private final ScheduledExecutorService timer;
    private final BooleanSupplier closed;
    private final long requestTimeoutMillis;

    /** @param requestTimeout bounds each delete, and is how long after an unknown outcome the key is looked for again */
    KeyReclaimer(EtcdStore store, ScheduledExecutorService timer, BooleanSupplier closed, Duration requestTimeout) {
        this.store = store;
        this.timer = timer;
        this.closed = closed;
        this.requestTimeoutMillis = Math.max(1, requestTimeout.toMillis());
    }

    /** Deletes our key (create revision {@code token}) now, retrying until it is gone or no longer ours. */
    void deleteKnown(String id, ByteSequence key, long token, SharedLease session) {
        attemptDelete(id, key, token, session, FIRST_RETRY_MILLIS);
    }

    private void attemptDelete(String id, ByteSequence key, long token, SharedLease session, long backoffMillis) {
        if (closed.getAsBoolean() || session.isDead()) {
            return;
        }
        CompletableFuture<TxnResponse> delete;
        try {
            // Bounded, so an unanswered delete is retried rather than waited for forever.
            delete = store.deleteIfOurs(key, token).orTimeout(requestTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            LOG.debug("delete of the stranded key of lock '{}' (token {}) not sent: {}", id, token, e.toString());
            return;
        }
        delete.whenComplete((response, error) -> {
            if (error == null) {
                LOG.debug("stranded key of lock '{}' (token {}) {}", id, token, response.isSucceeded() ? "deleted" : "was no longer ours");
                return;
            }
            LOG.debug("delete of the stranded key of lock '{}' (token {}) failed, retrying in {} ms: {}", id, token, backoffMillis,
                    error.toString());
            later(() -> attemptDelete(id, key, token, session, Math.min(MAX_RETRY_MILLIS, backoffMillis * 2)), backoffMillis);
        });
    }

    /**
     * An acquire failed after its transaction was sent (timeout, interrupt, reset, leader change):
     * etcd may have written {@code key} with our {@code value} on {@code session}'s lease, now or
     * later. Retires the lease (it ends with its other holds, and a transaction applied after it is
     * revoked fails), deletes the key if the answer turns out to be a success, and looks for the key
     * (by its unique value) at once and twice more, a request timeout apart, deleting it if found.
     */
    void afterUncertainAcquire(String id, ByteSequence key, ByteSequence value, SharedLease session, CompletableFuture<TxnResponse> txn) {
        session.retire();
        txn.whenComplete((response, error) -> {
            if (response != null && response.isSucceeded()) {
                LOG.debug("acquire of lock '{}' succeeded after it was given up; deleting the key", id);
                deleteKnown(id, key, response.getHeader().getRevision(), session);
            } else if (error != null) {
                lookFor(id, key, value, session, UNCERTAIN_RECHECKS);
            }
        });
        if (!txn.isDone()) {
            // The answer may never come: look for the key anyway once a request could have been applied.
            later(() -> lookFor(id, key, value, session, UNCERTAIN_RECHECKS), requestTimeoutMillis);
        }
    }

    /**
     * Like {@link #afterUncertainAcquire}, for the place in the waiter queue that the same transaction
     * may have written instead of the lock key (unique to its waiting call, with {@code value}): a
     * place left behind would hold up every later waiter for as long as the lease lives.
     */
    void afterUncertainPlace(String id, ByteSequence place, ByteSequence value, SharedLease session, CompletableFuture<TxnResponse> txn) {
        txn.whenComplete((response, error) -> {
            if (response != null && !response.isSucceeded()) {
                deleteKnown(id, place, response.getHeader().getRevision(), session);
            } else if (error != null) {
                lookFor(id, place, value, session, UNCERTAIN_RECHECKS);
            }
        });
        if (!txn.isDone()) {
            later(() -> lookFor(id, place, value, session, UNCERTAIN_RECHECKS), requestTimeoutMillis);
        }
    }

    private void lookFor(String id, ByteSequence key, ByteSequence value, SharedLease session, int rechecksLeft) {
        if (closed.getAsBoolean() || session.isDead()) {
            return;
        }
        CompletableFuture<GetResponse> read;
        try {
            read = store.read(key);
        } catch (RuntimeException e) {
            return;
        }
        read.whenComplete((response, error) -> {
            if (error == null && !response.getKvs().isEmpty()) {
                KeyValue found = response.getKvs().get(0);
                if (found.getValue().equals(value) && found.getLease() == session.id()) {
                    LOG.debug("acquire of lock '{}' with an unknown outcome had written its key (token {}); deleting it", id,
                            found.getCreateRevision());
                    deleteKnown(id, key, found.getCreateRevision(), session);
                    return;
                }
            }
            if (rechecksLeft > 0) {
                later(() -> lookFor(id, key, value, session, rechecksLeft - 1), requestTimeoutMillis);
            }
        });
    }

    private void later(Runnable task, long delayMillis) {
        if (closed.getAsBoolean()) {
            return;
        }
        try {
            timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The driver closed: its leases are no longer kept alive, so the keys end with them.
        }
    }
}
