package io.robit.etcd;

import io.etcd.jetcd.api.LeaseGrpc;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

/**
 * Learns, from jetcd's own lease grants, the gRPC channel and credentials of a jetcd client that the
 * driver built, so that {@link KeepAliveStream} can open its keep-alive stream on jetcd's connection
 * (jetcd's public API has no stream whose sends the caller times). Registered on the client's builder
 * as an interceptor; it changes no call. A client the user passed in has none: its keep-alives stay
 * jetcd's {@code keepAliveOnce}. Thread-safe.
 */
final class LeaseChannel implements ClientInterceptor {
    private static final String GRANT = LeaseGrpc.getLeaseGrantMethod().getFullMethodName();

    private volatile Target target;

    /** The channel beneath this interceptor (TLS, endpoints, headers) and the call credentials (etcd auth) of jetcd's lease calls. */
    record Target(Channel channel, CallCredentials credentials) {
        CallOptions callOptions() {
            return credentials == null ? CallOptions.DEFAULT : CallOptions.DEFAULT.withCallCredentials(credentials);
        }
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        // Grants only: they go through the client's main channel, unlike the authentication calls,
        // which jetcd sends on short-lived channels of their own.
        if (GRANT.equals(method.getFullMethodName())) {
            target = new Target(next, options.getCredentials());
        }
        return next.newCall(method, options);
    }

    /** Where to open the keep-alive stream; null until jetcd granted a lease through this channel. */
    Target target() {
        return target;
    }
}
