package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Faults in the answers a real etcd gives to one client's transactions, injected in the client's
 * gRPC channel: the server still sees (and applies) every request that is sent, so tests can put the
 * driver exactly where a slow network, a reset connection or a failing release would. Thread-safe.
 */
final class TxnFaults implements ClientInterceptor {
    private final ConcurrentLinkedQueue<Rule> rules = new ConcurrentLinkedQueue<>();
    private final AtomicInteger applied = new AtomicInteger();

    /** A client on the shared test server whose transactions pass through these faults. */
    Client client() {
        return Client.builder().endpoints("http://" + EtcdTestSupport.server().endpoint()).interceptor(this).build();
    }

    /** The next transaction that puts {@code key} is sent; its answer waits until the returned gate opens. */
    Gate holdAnswerToPut(ByteSequence key) {
        Gate gate = new Gate();
        rules.add(new Rule(Kind.PUT, key, Action.HOLD, gate));
        return gate;
    }

    /** The next transaction that puts {@code key} is sent (and applied), but the client is told the connection failed. */
    void loseAnswerToPut(ByteSequence key) {
        rules.add(new Rule(Kind.PUT, key, Action.LOSE_ANSWER, null));
    }

    /** The next {@code times} transactions that delete {@code key} fail without being sent. */
    void failDeletes(ByteSequence key, int times) {
        for (int i = 0; i < times; i++) {
            rules.add(new Rule(Kind.DELETE, key, Action.FAIL_UNSENT, null));
        }
    }

    /** How many faults have been injected so far. */
    int injected() {
        return applied.get();
    }

    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        ClientCall<Q, A> call = next.newCall(method, options);
        if (!method.getFullMethodName().endsWith("KV/Txn")) {
            return call;
        }
        return new FaultyCall<>(call);
    }

    private Rule take(Object request) {
        if (!(request instanceof TxnRequest txn)) {
            return null;
        }
        for (Rule rule : rules) {
            if (rule.matches(txn) && rules.remove(rule)) {
                applied.incrementAndGet();
                return rule;
            }
        }
        return null;
    }

    private enum Kind { PUT, DELETE }

    private enum Action { HOLD, LOSE_ANSWER, FAIL_UNSENT }

    private record Rule(Kind kind, ByteSequence key, Action action, Gate gate) {
        boolean matches(TxnRequest txn) {
            for (RequestOp op : txn.getSuccessList()) {
                if (kind == Kind.PUT && op.hasRequestPut() && op.getRequestPut().getKey().equals(com(key))) {
                    return true;
                }
                if (kind == Kind.DELETE && op.hasRequestDeleteRange() && op.getRequestDeleteRange().getKey().equals(com(key))) {
                    return true;
                }
            }
            return false;
        }

        private static com.google.protobuf.ByteString com(ByteSequence key) {
            return com.google.protobuf.ByteString.copyFrom(key.getBytes());
        }
    }

    /** Holds a call's answer (headers, message, close, in order) until opened. */
    static final class Gate {
        private final ReentrantLock lock = new ReentrantLock();
        private final List<Runnable> waiting = new ArrayList<>();
        private boolean open;
        private volatile boolean answered;

        /** Whether the server's answer has reached the client (and is being held). */
        boolean answered() {
            return answered;
        }

        void open() {
            List<Runnable> run;
            lock.lock();
            try {
                open = true;
                run = new ArrayList<>(waiting);
                waiting.clear();
            } finally {
                lock.unlock();
            }
            run.forEach(Runnable::run);
        }

        void pass(Runnable delivery, boolean last) {
            lock.lock();
            try {
                if (!open) {
                    waiting.add(delivery);
                    if (last) {
                        answered = true;
                    }
                    return;
                }
            } finally {
                lock.unlock();
            }
            delivery.run();
        }
    }

    private final class FaultyCall<Q, A> extends ForwardingClientCall.SimpleForwardingClientCall<Q, A> {
        private volatile Rule rule;

        FaultyCall(ClientCall<Q, A> delegate) {
            super(delegate);
        }

        @Override
        public void start(Listener<A> responseListener, Metadata headers) {
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(responseListener) {
                @Override
                public void onHeaders(Metadata headers) {
                    Rule current = rule;
                    if (current != null && current.action() == Action.HOLD) {
                        current.gate().pass(() -> super.onHeaders(headers), false);
                    } else if (current == null || current.action() != Action.LOSE_ANSWER) {
                        super.onHeaders(headers);
                    }
                }

                @Override
                public void onMessage(A message) {
                    Rule current = rule;
                    if (current != null && current.action() == Action.HOLD) {
                        current.gate().pass(() -> super.onMessage(message), false);
                    } else if (current == null || current.action() != Action.LOSE_ANSWER) {
                        super.onMessage(message);
                    }
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    Rule current = rule;
                    if (current != null && current.action() == Action.HOLD) {
                        current.gate().pass(() -> super.onClose(status, trailers), true);
                    } else if (current != null && current.action() == Action.LOSE_ANSWER) {
                        super.onClose(Status.UNAVAILABLE.withDescription("injected: connection reset after the request was sent"), new Metadata());
                    } else {
                        super.onClose(status, trailers);
                    }
                }
            }, headers);
        }

        @Override
        public void sendMessage(Q message) {
            Rule matched = take(message);
            rule = matched;
            if (matched != null && matched.action() == Action.FAIL_UNSENT) {
                delegate().cancel("injected: not sent", null);
                return;
            }
            super.sendMessage(message);
        }

        @Override
        public void halfClose() {
            Rule current = rule;
            if (current != null && current.action() == Action.FAIL_UNSENT) {
                return;
            }
            super.halfClose();
        }
    }
}
