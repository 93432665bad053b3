package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.List;

/**
 * The waiter queue of one lock on etcd, after etcd's Go {@code concurrency.Mutex}: each waiting call
 * has a <em>place</em>, a key under the lock key followed by the byte {@code 0xFF} and {@code "w/"},
 * bound to its driver's shared lease (so a crashed process's places go with its lease) and ordered by
 * create revision. {@code 0xFF} never occurs in UTF-8, so no lock name, and no other lock's queue,
 * shares that prefix. The lock key alone still decides who holds the lock; the queue only decides who
 * may try: a call that is not queued takes a free lock only while the queue is empty, and a queued one
 * only once no place older than its own is left. This class builds the requests; stateless.
 */
final class WaitQueue {
    private static final byte[] MARK = {(byte) 0xFF, 'w', '/'};
    // '/' + 1: the end of the range of every place of one lock.
    private static final byte[] MARK_END = {(byte) 0xFF, 'w', '0'};

    private WaitQueue() {
    }

    /** The prefix of every place in {@code lockKey}'s queue. */
    static ByteSequence prefix(ByteSequence lockKey) {
        return lockKey.concat(ByteSequence.from(MARK));
    }

    /** The end of the range from {@code lockKey} through its queue's places (exclusive). */
    static ByteSequence end(ByteSequence lockKey) {
        return lockKey.concat(ByteSequence.from(MARK_END));
    }

    /** Whether a key's bytes after the driver's key prefix name a place in a queue rather than a lock. */
    static boolean isPlace(byte[] afterPrefix) {
        for (byte b : afterPrefix) {
            if (b == (byte) 0xFF) {
                return true;
            }
        }
        return false;
    }

    /** The oldest place, keys only: what a call that is not queued must not pass. Serializable: a stale answer costs fairness, never safety. */
    static GetOption headOption(ByteSequence lockKey) {
        return places(lockKey).withSortOrder(GetOption.SortOrder.ASCEND).withLimit(1).withSerializable(true).build();
    }

    /**
     * The oldest place, keys only, read inside a transaction that took the lock key: whether the take
     * passed a waiter (it is then given back). At the transaction's revision, so no place can slip in
     * between this look and the put.
     */
    static Op head(ByteSequence lockKey) {
        return Op.get(prefix(lockKey), places(lockKey).withSortOrder(GetOption.SortOrder.ASCEND).withLimit(1).build());
    }

    /** The newest two places (in a transaction after the caller's own put: its own and its predecessor). */
    static Op newestTwo(ByteSequence lockKey) {
        return Op.get(prefix(lockKey), places(lockKey).withSortOrder(GetOption.SortOrder.DESCEND).withLimit(2).build());
    }

    /** The newest place older than {@code revision}: the predecessor of a place created at {@code revision}. */
    static Op before(ByteSequence lockKey, long revision) {
        return Op.get(prefix(lockKey),
                places(lockKey).withSortOrder(GetOption.SortOrder.DESCEND).withLimit(1).withMaxCreateRevision(revision - 1).build());
    }

    /** Whether a key exists, keys only. */
    static Op look(ByteSequence key) {
        return Op.get(key, GetOption.builder().withKeysOnly(true).build());
    }

    static Op put(ByteSequence place, ByteSequence value, long leaseId) {
        return Op.put(place, value, PutOption.builder().withLeaseId(leaseId).build());
    }

    static Op delete(ByteSequence place) {
        return Op.delete(place, DeleteOption.DEFAULT);
    }

    static Cmp absent(ByteSequence key) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0));
    }

    static Cmp createdAt(ByteSequence key, long revision) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(revision));
    }

    /** The first key of {@code response} other than {@code self}, or null. */
    static ByteSequence firstOther(GetResponse response, ByteSequence self) {
        List<KeyValue> kvs = response.getKvs();
        for (KeyValue kv : kvs) {
            if (!kv.getKey().equals(self)) {
                return kv.getKey();
            }
        }
        return null;
    }

    private static GetOption.Builder places(ByteSequence lockKey) {
        return GetOption.builder()
                .withRange(lockKey.concat(ByteSequence.from(MARK_END)))
                .withSortField(GetOption.SortTarget.CREATE)
                .withKeysOnly(true);
    }
}
