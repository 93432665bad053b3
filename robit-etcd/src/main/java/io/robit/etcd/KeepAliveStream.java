package io.robit.etcd;

import io.etcd.jetcd.Constants;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The driver's keep-alives on one long-lived etcd {@code LeaseKeepAlive} stream: one message per
 * keep-alive, sent when the caller asks. (jetcd's {@code keepAliveOnce} opens a stream per call and
 * writes its request twice, the second time as it closes the stream: two messages; its
 * {@code keepAlive(id, observer)} sends on a timer of its own, so nobody knows when the request that
 * a response answers was sent.) Thread-safe; never blocks on I/O.
 *
 * <p><b>Matching a response to its request.</b> etcd serves a keep-alive stream in a loop: it reads
 * one request, renews the lease (a follower forwards the renewal to the leader and waits for its
 * answer), writes one response, and only then reads the next request; gRPC keeps a stream's messages
 * in order. So the k-th response on a stream answers the k-th request written on it, and that
 * renewal happened after that request was sent: its send time is a safe start for the TTL, as it was
 * with a stream per keep-alive. Nothing is credited by guess: a response is matched by position and
 * checked against the request's lease id, and one that does not match (etcd never does that) ends
 * the stream, failing every request on it. (An etcd grpc-proxy answers keep-alives from renewals of
 * its own, possibly older than the request: no client can time those, with a stream per call either.)
 *
 * <p><b>Failures.</b> A stream that ends (member gone, {@code etcdserver: no leader}: the stream asks
 * for a leader, as jetcd's does) fails the requests waiting on it, and the next keep-alive opens a
 * new stream. A request with no answer within its bound fails, and its stream is abandoned (the
 * member may be cut off): a retry goes out on a new stream, as each attempt did before, and any late
 * answer on the old one is never credited.
 */
final class KeepAliveStream {
    private final LeaseChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private Stream current;
    private boolean closed;

    KeepAliveStream(LeaseChannel channel) {
        this.channel = channel;
    }

    /** Whether keep-alives can go on a stream (the client is the driver's own and has granted a lease). */
    boolean available() {
        return channel != null && channel.target() != null;
    }

    /**
     * Sends one keep-alive of {@code leaseId} now: completes with etcd's answer to exactly this
     * request (TTL 0: the lease is gone), or exceptionally when the stream ends first, or with a
     * {@link TimeoutException} after {@code boundNanos} (the stream is then abandoned).
     */
    CompletableFuture<LeaseKeepAliveResponse> keepAlive(long leaseId, long boundNanos) {
        Pending pending = new Pending(leaseId);
        Stream stream;
        List<Pending> failed;
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the driver is closed"));
            }
            if (current == null || current.ended) {
                current = new Stream();
            }
            stream = current;
            failed = stream.send(pending);
        } finally {
            lock.unlock();
        }
        failed.forEach(Pending::fail);
        pending.orTimeout(boundNanos, TimeUnit.NANOSECONDS).whenComplete((answer, error) -> {
            if (error instanceof TimeoutException) {
                stream.end(Status.CANCELLED.withDescription("no keep-alive answer in time").asRuntimeException(), true);
            }
        });
        return pending;
    }

    /** Ends the stream; keep-alives sent later fail. */
    void close() {
        Stream stream;
        lock.lock();
        try {
            closed = true;
            stream = current;
        } finally {
            lock.unlock();
        }
        if (stream != null) {
            stream.end(new IllegalStateException("the driver is closed"), true);
        }
    }

    /** One keep-alive request waiting for its answer. */
    private static final class Pending extends CompletableFuture<LeaseKeepAliveResponse> {
        final long leaseId;

        // Why it failed, set under the lock when its stream ended; completed outside it.
        Throwable cause;

        Pending(long leaseId) {
            this.leaseId = leaseId;
        }

        void fail() {
            completeExceptionally(cause);
        }
    }

    /** One gRPC stream and its requests in the order they were written. Guarded by the outer lock. */
    private final class Stream extends ClientCall.Listener<LeaseKeepAliveResponse> {
        private final ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call;
        private final ArrayDeque<Pending> unanswered = new ArrayDeque<>();
        private boolean ended;

        Stream() {
            LeaseChannel.Target target = channel.target();
            call = target.channel().newCall(LeaseGrpc.getLeaseKeepAliveMethod(), target.callOptions());
            Metadata headers = new Metadata();
            // A member without a leader then ends the stream at once instead of holding requests.
            headers.put(Constants.REQUIRE_LEADER_KEY, "true");
            call.start(this, headers);
            call.request(1);
        }

        /** Called with the lock held; returns the requests to fail (outside the lock) if the stream broke. */
        List<Pending> send(Pending pending) {
            unanswered.addLast(pending);
            try {
                call.sendMessage(LeaseKeepAliveRequest.newBuilder().setID(pending.leaseId).build());
                return List.of();
            } catch (RuntimeException e) {
                // Not sent (the call was closed under us): the stream is unusable.
                return endLocked(e, true);
            }
        }

        @Override
        public void onMessage(LeaseKeepAliveResponse response) {
            Pending head;
            lock.lock();
            try {
                if (ended) {
                    return; // abandoned: a late answer is never credited
                }
                head = unanswered.pollFirst();
                if (head != null && head.leaseId == response.getID()) {
                    call.request(1);
                }
            } finally {
                lock.unlock();
            }
            if (head == null || head.leaseId != response.getID()) {
                IllegalStateException mismatch = new IllegalStateException("etcd answered a keep-alive of lease "
                        + Long.toHexString(response.getID()) + " where "
                        + (head == null ? "none was asked" : "lease " + Long.toHexString(head.leaseId) + "'s was next"));
                if (head != null) {
                    head.completeExceptionally(mismatch);
                }
                end(mismatch, true);
                return;
            }
            head.complete(response);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            end(status.asRuntimeException(trailers), false);
        }

        /** Fails every request still waiting on this stream; a new keep-alive opens another stream. */
        void end(Throwable cause, boolean cancel) {
            List<Pending> failed;
            lock.lock();
            try {
                failed = endLocked(cause, cancel);
            } finally {
                lock.unlock();
            }
            failed.forEach(Pending::fail);
        }

        private List<Pending> endLocked(Throwable cause, boolean cancel) {
            if (ended) {
                return List.of();
            }
            ended = true;
            if (current == this) {
                current = null;
            }
            List<Pending> failed = new ArrayList<>(unanswered);
            unanswered.clear();
            failed.forEach(p -> p.cause = cause);
            if (cancel) {
                call.cancel(cause.getMessage(), cause);
            }
            return failed;
        }
    }
}
