package io.robit.etcd;

import io.robit.spi.Secrets;
import io.robit.spi.support.Arguments;
import io.robit.spi.support.UriParameters;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A parsed {@code etcd[s]://[user[:password]@]host[:port][,host[:port]...][/][?prefix=...&timeout=...&headroom=...]}
 * URI, with its security options: TLS ({@code etcds://} or {@code tls=true}; {@code cacert},
 * {@code cert}, {@code key} are PEM files) and the password from the user info, {@code passwordFile}
 * or {@code passwordEnv}. Immutable; {@link #toString()} shows no password.
 */
record EtcdUri(List<String> hostPorts, Optional<String> user, Optional<String> password, Optional<String> prefix,
               Optional<Duration> timeout, Optional<Duration> headroom, Optional<Tls> tls) {
    static final int DEFAULT_PORT = 2379;
    private static final String FORM = "etcd[s]://[user:password@]host[:port][,host[:port]...]"
            + "[?prefix=P&timeout=5s&headroom=1s&tls=true&cacert=ca.pem&cert=client.pem&key=client.key&passwordFile=PATH&passwordEnv=NAME]";
    private static final String KNOWN = "prefix, timeout, headroom, tls, cacert, cert, key, passwordFile, passwordEnv";

    /**
     * TLS towards etcd: the server is verified (chain and host name) against {@code caCert}, or the
     * JVM's default trust store when absent; {@code cert} and {@code key} are the client certificate.
     */
    record Tls(Optional<Path> caCert, Optional<Path> cert, Optional<Path> key) {
    }

    EtcdUri {
        hostPorts = List.copyOf(hostPorts);
    }

    /** The endpoints as jetcd wants them: {@code http://host:port}, or {@code https://} with TLS. */
    String[] httpEndpoints() {
        String scheme = tls.isPresent() ? "https://" : "http://";
        return hostPorts.stream().map(hp -> scheme + hp).toArray(String[]::new);
    }

    @Override
    public String toString() {
        return "EtcdUri[" + String.join(",", hostPorts) + (user.isPresent() ? ", user " + user.get() : "")
                + (password.isPresent() ? ", password " + Secrets.MASK : "") + (tls.isPresent() ? ", " + tls.get() : "") + "]";
    }

    static EtcdUri parse(String uri) {
        return parse(uri, System::getenv);
    }

    static EtcdUri parse(String uri, UnaryOperator<String> environment) {
        if (uri == null) {
            throw new NullPointerException("etcd uri must not be null");
        }
        String rest = uri.strip();
        String lower = rest.toLowerCase(Locale.ROOT);
        boolean etcds = lower.startsWith("etcds://");
        if (!etcds && !lower.startsWith("etcd://")) {
            throw new IllegalArgumentException("etcd uri must look like " + FORM + ", got '" + Secrets.redact(uri) + "'");
        }
        uri = Secrets.redact(uri); // from here on, only for messages
        rest = rest.substring(etcds ? "etcds://".length() : "etcd://".length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (rest.contains("/")) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' has a path; give the key prefix as ?prefix=..., as in " + FORM);
        }
        Optional<String> user = Optional.empty();
        Optional<String> password = Optional.empty();
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon == 0 || userInfo.isEmpty()) {
                throw new IllegalArgumentException("etcd uri '" + uri + "' must give credentials as user:password@ (or user@ with passwordFile/passwordEnv)");
            }
            user = Optional.of(decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            password = colon < 0 ? Optional.empty() : Optional.of(decode(userInfo.substring(colon + 1)));
        }
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' names no endpoint; expected " + FORM);
        }
        UriParameters parameters = UriParameters.parse("etcd", uri, query.isEmpty() ? null : query);
        List<String> hostPorts = parameters.hostPorts(rest, DEFAULT_PORT);
        Optional<String> prefix = parameters.take("prefix");
        Optional<Duration> timeout = parameters.takeDuration("timeout");
        Optional<Duration> headroom = parameters.take("headroom").map(text -> nonNegative(parameters, text));
        Boolean tlsParameter = parameters.takeBoolean("tls").orElse(null);
        String caCert = parameters.takeNonEmpty("cacert", "a PEM file path").orElse(null);
        String cert = parameters.takeNonEmpty("cert", "a PEM file path").orElse(null);
        String key = parameters.takeNonEmpty("key", "a PEM file path").orElse(null);
        Optional<String> literalPassword = password;
        password = parameters.takePassword(literalPassword.orElse(null), environment);
        parameters.rejectUnknown(KNOWN);
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' must give cert and key together (the client certificate and its key)");
        }
        if (etcds && Boolean.FALSE.equals(tlsParameter)) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' says etcds:// and tls=false; choose one");
        }
        boolean useTls = etcds || Boolean.TRUE.equals(tlsParameter) || (tlsParameter == null && (caCert != null || cert != null));
        if (!useTls && (caCert != null || cert != null)) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' gives cacert/cert/key with tls=false");
        }
        if (password.isPresent() && user.isEmpty()) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' gives a password but no user; write user@host");
        }
        if (user.isPresent() && password.isEmpty()) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' names user '" + user.get()
                    + "' but no password; give it as user:password@, passwordFile=PATH or passwordEnv=NAME");
        }
        Optional<Tls> tls = useTls
                ? Optional.of(new Tls(file(uri, "cacert", caCert), file(uri, "cert", cert), file(uri, "key", key)))
                : Optional.empty();
        return new EtcdUri(hostPorts, user, password, prefix, timeout, headroom, tls);
    }

    private static Optional<Path> file(String uri, String name, String path) {
        if (path == null) {
            return Optional.empty();
        }
        Path file = Path.of(path);
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("etcd uri '" + uri + "': " + name + " file '" + path + "' does not exist or cannot be read");
        }
        return Optional.of(file);
    }

    /** The lease headroom may be zero (no headroom), never negative. */
    private static Duration nonNegative(UriParameters parameters, String text) {
        try {
            return Arguments.notNegative("headroom", UriParameters.parseDuration(text));
        } catch (IllegalArgumentException e) {
            throw parameters.malformed("has headroom '" + text + "': " + e.getMessage());
        }
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
