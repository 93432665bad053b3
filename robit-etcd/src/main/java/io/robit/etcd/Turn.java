package io.robit.etcd;

import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How one acquire attempt stands with the lock's {@link WaitQueue}: what its transaction checks and
 * does besides "create the lock key if it does not exist", and what it learns from the answer.
 * {@link Holds#acquire} calls these in order, on the attempt's thread: {@link #prepare}, then the
 * three parts of the transaction, then exactly one of {@link #taken}, {@link #notTaken} or
 * {@link #uncertain} (none if the transaction was never sent). When {@link #taken} says the take
 * passed a waiter, the key is given back in a second transaction that also runs {@link #otherwise},
 * followed by {@link #notTaken} or {@link #uncertain} for that one.
 */
interface Turn {
    /** Reads what the conditions need (the queue's head, if any), before the transaction; bounded by {@code deadlineNanos}. */
    void prepare(long deadlineNanos) throws InterruptedException;

    /** Conditions besides the lock key being absent. */
    List<Cmp> conditions();

    /** Requests besides creating the lock key, when the transaction takes it. */
    List<Op> alsoOnTake();

    /** Requests when it does not; {@code leaseId} is the attempt's shared lease. */
    List<Op> otherwise(long leaseId);

    /**
     * The transaction took the lock key; {@code response} carries the answers of {@link #alsoOnTake}.
     * False if the take passed a waiter: the caller gives the key back at once.
     */
    boolean taken(TxnResponse response);

    /**
     * The transaction did not take it; {@code response} carries the answers of {@link #otherwise}. A
     * turn that bound a key to {@code session} takes a use of its own ({@link SharedLease#tryUse}):
     * the attempt's ends when it returns.
     */
    void notTaken(TxnResponse response, SharedLease session);

    /** The transaction was sent and its outcome is unknown (timeout, interrupt, reset); {@code txn} may still answer. */
    void uncertain(CompletableFuture<TxnResponse> txn, SharedLease session);
}
