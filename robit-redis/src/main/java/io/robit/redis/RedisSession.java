package io.robit.redis;

import io.lettuce.core.ScriptOutputType;
import io.robit.DriverException;
import io.robit.spi.AsyncLeaseSession;
import io.robit.spi.support.Arguments;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The leases of one driver that share a ttl (on Cluster: a ttl and a hash slot), renewed together:
 * the core keeps this session alive once per renew period for all the holds on it, and one
 * keep-alive is one script call per {@value #MAX_BATCH} keys ({@link Scripts#REFRESH_SESSION}) that
 * extends every key still held by its lease's owner, each to the session's ttl, followed by one
 * {@code WAIT} when the master has replicas. Redis has no session object: the session is the set of
 * keys, so it is never lost as a whole; a key found gone or taken over completes its own lease's
 * {@code lost()} before the keep-alive completes, and only the leases in the call are covered by
 * its guarantee. The script arguments are built once per set of members and kept until a lease
 * joins or leaves: holding 10,000 locks, building them was most of a keep-alive's cost. Thread-safe.
 */
final class RedisSession implements AsyncLeaseSession {
    /** At most this many keys per script call, so one call never blocks Redis for long. */
    static final int MAX_BATCH = 256;

    private final RedisStore store;
    private final long ttlMillis;
    private final byte[] ttlRaw;
    private final Duration guaranteed;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<RedisLease> members = new HashSet<>(); // guarded by lock
    // Counts the changes of members; the arguments built for one count serve until the next. Guarded by lock.
    private long changes;
    private Batches batches; // guarded by lock; null before the first keep-alive

    RedisSession(RedisStore store, long ttlMillis) {
        this.store = store;
        this.ttlMillis = ttlMillis;
        this.ttlRaw = RedisStore.utf8(Long.toString(ttlMillis));
        // Redis keeps each key for the whole ttl in ms from when it runs the script, after the send.
        this.guaranteed = Duration.ofMillis(ttlMillis);
    }

    void join(RedisLease lease) {
        lock.lock();
        try {
            members.add(lease);
            changes++;
        } finally {
            lock.unlock();
        }
    }

    /** Takes a released or lost lease off: later keep-alives leave its key alone. */
    void leave(RedisLease lease) {
        lock.lock();
        try {
            if (members.remove(lease)) {
                changes++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The lock keys of the leases on this session now. */
    List<String> keys() {
        lock.lock();
        try {
            return members.stream().map(RedisLease::key).toList();
        } finally {
            lock.unlock();
        }
    }

    boolean isEmpty() {
        lock.lock();
        try {
            return members.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Duration keepAlive(Duration timeout) throws InterruptedException {
        try {
            return keepAliveAsync(timeout).get(); // bounded: keepAliveAsync fails after timeout
        } catch (ExecutionException e) {
            Throwable cause = RedisStore.unwrap(e);
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new DriverException(store.where() + ": renewal failed: " + cause, cause);
        }
    }

    /**
     * Extends every key of the leases on this session now (those that join during the call are
     * not covered: their own acquire, or the next keep-alive, counts for them).
     */
    @Override
    public CompletableFuture<Duration> keepAliveAsync(Duration timeout) {
        Arguments.positive("timeout", timeout);
        store.checkOpen();
        long sent = System.nanoTime();
        Batches batch = batches();
        if (batch.leases().length == 0) {
            return CompletableFuture.completedFuture(guaranteed);
        }
        RedisLease[] leases = batch.leases();
        String name = leases.length == 1 ? leases[0].id() : leases[0].id() + " (and " + (leases.length - 1) + " more)";
        return store.<Void>callAsync(name, "renewal", timeout, commands -> renew(commands, batch, sent)).handle((ignored, error) -> {
            if (error != null) {
                for (RedisLease lease : leases) {
                    lease.renewalFailed();
                }
                Throwable cause = RedisStore.unwrap(error); // a DriverException from callAsync
                throw cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
            }
            return guaranteed;
        });
    }

    // The arguments for the members now: those built before if no lease joined or left since, else
    // built anew outside the lock (so joins and leaves do not wait for it) and kept if still current.
    private Batches batches() {
        RedisLease[] leases;
        long version;
        lock.lock();
        try {
            if (batches != null && batches.version() == changes) {
                return batches;
            }
            leases = members.toArray(new RedisLease[0]);
            version = changes;
        } finally {
            lock.unlock();
        }
        Batches built = Batches.of(version, leases, ttlRaw);
        lock.lock();
        try {
            if (version == changes) {
                batches = built;
            }
        } finally {
            lock.unlock();
        }
        return built;
    }

    /**
     * The script calls of one keep-alive: per call of at most {@value #MAX_BATCH} leases, their lock
     * keys, and the ttl followed by their owners. Never changed once built, so one keep-alive's
     * arguments may still be written while the next uses them.
     */
    private record Batches(long version, RedisLease[] leases, byte[][][] keys, byte[][][] args) {
        static Batches of(long version, RedisLease[] leases, byte[] ttlRaw) {
            int calls = (leases.length + MAX_BATCH - 1) / MAX_BATCH;
            byte[][][] keys = new byte[calls][][];
            byte[][][] args = new byte[calls][][];
            for (int call = 0; call < calls; call++) {
                int first = call * MAX_BATCH;
                int size = Math.min(MAX_BATCH, leases.length - first);
                // Each key and owner was encoded once, when its lease was granted.
                keys[call] = new byte[size][];
                args[call] = new byte[size + 1][];
                args[call][0] = ttlRaw;
                for (int i = 0; i < size; i++) {
                    keys[call][i] = leases[first + i].keys().raw().lock();
                    args[call][i + 1] = leases[first + i].ownerRaw();
                }
            }
            return new Batches(version, leases, keys, args);
        }
    }

    /** Sends every batch at once, settles each lease's answer, then waits for the replicas it needs. */
    private CompletionStage<Void> renew(Commands commands, Batches batch, long sent) {
        RedisLease[] leases = batch.leases();
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        boolean[] extended = {false};
        for (int call = 0; call < batch.keys().length; call++) {
            int first = call * MAX_BATCH;
            int size = batch.keys()[call].length;
            CompletionStage<List<Object>> failed = store.script(commands, Scripts.REFRESH_SESSION, ScriptOutputType.MULTI,
                    batch.keys()[call], batch.args()[call]);
            calls.add(failed.thenAccept(failures -> {
                // Settled as the answers come: a lease no longer ours is told before the keep-alive completes.
                boolean[] gone = new boolean[size];
                for (int i = 0; i + 1 < failures.size(); i += 2) {
                    int index = ((Long) failures.get(i)).intValue() - 1;
                    gone[index] = true;
                    leases[first + index].settle((Long) failures.get(i + 1), sent, ttlMillis);
                }
                for (int i = 0; i < size; i++) {
                    if (!gone[i]) {
                        leases[first + i].settle(1, sent, ttlMillis);
                        extended[0] = true;
                    }
                }
            }).toCompletableFuture());
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]));
        // One WAIT after every batch counts them all: WAIT covers each write sent before it on the connection.
        return all.thenCompose(ignored -> extended[0] ? store.confirmed(commands, leases[0].key()) : CompletableFuture.completedFuture(null));
    }

    /**
     * A Redis session is never lost as a whole (only its leases are, each on its own): a future that
     * never completes. A new one each time: a callback a caller adds goes away with its own future,
     * where one shared future, never completing, would keep every callback ever added for the
     * driver's life (the core adds one per session; a decorator may add one per use), and no caller
     * can complete it for the others.
     */
    @Override
    public CompletableFuture<Void> lost() {
        return new CompletableFuture<>();
    }

    @Override
    public String toString() {
        return "RedisSession[ttl " + ttlMillis + " ms, " + store.where() + "]";
    }
}
