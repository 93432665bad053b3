package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.robit.DriverException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The etcd requests of a lock, over one jetcd client: the create-if-absent transaction, the
 * owner-checked delete, reads and delete watches of a lock key; and waiting for jetcd's futures
 * within a deadline, turning their failures into {@link DriverException}s that name the endpoints,
 * the lock and the operation. Holds no state of its own; thread-safe.
 */
final class EtcdStore {
    private static final GetOption KEYS_ONLY = GetOption.builder().withKeysOnly(true).build();

    private final String backend;
    private final KV kv;
    private final Watch watch;

    /** @param backend how failures name the backend, e.g. {@code "etcd 127.0.0.1:2379"} */
    EtcdStore(String backend, Client client) {
        this.backend = backend;
        this.kv = client.getKVClient();
        this.watch = client.getWatchClient();
    }

    /**
     * A jetcd client for {@code uri}'s endpoints, credentials and TLS; it connects lazily, on first use.
     * Its lease grants show {@code leaseChannel} where to open the driver's keep-alive stream.
     */
    static Client connect(EtcdUri uri, Duration connectTimeout, LeaseChannel leaseChannel) {
        ClientBuilder jetcd = Client.builder()
                .endpoints(uri.httpEndpoints())
                .interceptor(leaseChannel)
                // Fail fast while etcd is down, so calls end in a DriverException rather than a silent wait.
                .waitForReady(false)
                .connectTimeout(connectTimeout);
        uri.user().ifPresent(user -> jetcd.user(ByteSequence.from(user, StandardCharsets.UTF_8)));
        uri.password().ifPresent(password -> jetcd.password(ByteSequence.from(password, StandardCharsets.UTF_8)));
        uri.tls().ifPresent(tls -> EtcdTls.apply(jetcd, tls));
        return jetcd.build();
    }

    String backend() {
        return backend;
    }

    /**
     * Creates {@code key} with {@code value}, bound to lease {@code leaseId}, only if the key does not
     * exist and {@code conditions} hold; then also runs {@code alsoOnTake}, else {@code otherwise}.
     */
    CompletableFuture<TxnResponse> createIfAbsent(ByteSequence key, ByteSequence value, long leaseId, List<Cmp> conditions,
            List<Op> alsoOnTake, List<Op> otherwise) {
        List<Cmp> all = new ArrayList<>(conditions.size() + 1);
        all.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)));
        all.addAll(conditions);
        List<Op> take = new ArrayList<>(alsoOnTake.size() + 1);
        take.add(Op.put(key, value, PutOption.builder().withLeaseId(leaseId).build()));
        take.addAll(alsoOnTake);
        return kv.txn()
                .If(all.toArray(Cmp[]::new))
                .Then(take.toArray(Op[]::new))
                .Else(otherwise.toArray(Op[]::new))
                .commit();
    }

    /** Several reads at one revision, in one round trip (a transaction of reads only: no write to etcd's log). */
    CompletableFuture<TxnResponse> readTogether(Op... reads) {
        return kv.txn().Then(reads).commit();
    }

    /** Deletes {@code key} only while its create revision is {@code token}: never a later holder's key. */
    CompletableFuture<TxnResponse> deleteIfOurs(ByteSequence key, long token) {
        return kv.txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(token)))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .commit();
    }

    /** {@link #deleteIfOurs}, and {@code also} whether or not the key was still ours. */
    CompletableFuture<TxnResponse> deleteIfOursAnd(ByteSequence key, long token, List<Op> also) {
        List<Op> then = new ArrayList<>(also.size() + 1);
        then.add(Op.delete(key, DeleteOption.DEFAULT));
        then.addAll(also);
        return kv.txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(token)))
                .Then(then.toArray(Op[]::new))
                .Else(also.toArray(Op[]::new))
                .commit();
    }

    CompletableFuture<GetResponse> read(ByteSequence key) {
        return kv.get(key);
    }

    /** A read of {@code key} without its value: whether it exists, at which revision. */
    CompletableFuture<GetResponse> probe(ByteSequence key) {
        return kv.get(key, KEYS_ONLY);
    }

    CompletableFuture<GetResponse> read(ByteSequence key, GetOption option) {
        return kv.get(key, option);
    }

    /**
     * Watches, from now, the deletes of every key from {@code from} to {@code to} (exclusive):
     * {@code onCreated} gets the revision etcd started at (the watch reports later ones),
     * {@code onEvents} each batch of events, all callbacks on jetcd's threads; {@code onError} and
     * {@code onEnd} when the watch fails or jetcd gives it up.
     */
    Watch.Watcher watchQueueDeletes(ByteSequence from, ByteSequence to, LongConsumer onCreated, Consumer<List<WatchEvent>> onEvents,
            Consumer<Throwable> onError, Runnable onEnd) {
        WatchOption option = WatchOption.builder().withRange(to).withNoPut(true).withCreateNotify(true).build();
        return watch.watch(from, option, Watch.listener((WatchResponse response) -> {
            if (response.isCreatedNotify()) {
                onCreated.accept(response.getHeader().getRevision());
            } else if (!response.getEvents().isEmpty()) {
                onEvents.accept(response.getEvents());
            }
        }, onError, onEnd));
    }

    /**
     * Watches {@code key}'s deletions from {@code fromRevision} (a delete since then is replayed).
     * {@code onDelete} runs on jetcd's threads; {@code onEnd} when jetcd gives the watch up.
     */
    Watch.Watcher watchDeletes(ByteSequence key, long fromRevision, Runnable onDelete, Consumer<Throwable> onError, Runnable onEnd) {
        WatchOption option = WatchOption.builder().withRevision(fromRevision).withNoPut(true).build();
        return watch.watch(key, option, Watch.listener((WatchResponse response) -> {
            for (WatchEvent event : response.getEvents()) {
                if (event.getEventType() == WatchEvent.EventType.DELETE) {
                    onDelete.run();
                    return;
                }
            }
        }, onError, onEnd));
    }

    /**
     * The result of {@code future}, waiting until {@code deadlineNanos} ({@link System#nanoTime()}).
     *
     * @throws DriverException the call failed or did not finish in time
     */
    <T> T await(CompletableFuture<T> future, long deadlineNanos, String lockId, String operation) throws InterruptedException {
        try {
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw failure(lockId, operation, noAnswer());
        } catch (ExecutionException e) {
            throw failure(lockId, operation, unwrap(e));
        }
    }

    /**
     * {@link #await}, but an interrupt does not cut the wait short: for requests already sent whose
     * answer matters (a release). The thread's interrupt flag is set again before returning.
     */
    <T> T awaitUninterruptibly(CompletableFuture<T> future, long deadlineNanos, String lockId, String operation) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return await(future, deadlineNanos, lockId, operation);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    DriverException failure(String lockId, String operation, Throwable cause) {
        return new DriverException(backend, lockId, operation, cause);
    }

    /** The cause of a request that got no answer within its time limit. */
    TimeoutException noAnswer() {
        return new TimeoutException("no answer from " + backend + " in time (unreachable, or no leader?)");
    }

    /** Whether {@code error} is etcd saying a lease does not exist (expired or revoked). */
    static boolean isLeaseNotFound(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.toLowerCase(Locale.ROOT).contains("requested lease not found")) {
                return true;
            }
        }
        return false;
    }

    static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof ExecutionException || current instanceof CompletionException || current instanceof CancellationException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
