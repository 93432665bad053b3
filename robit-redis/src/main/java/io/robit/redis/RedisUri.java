package io.robit.redis;

import io.lettuce.core.RedisURI;
import io.robit.spi.Secrets;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.UnaryOperator;

/**
 * A Robit Redis URI taken apart: Lettuce's URI syntax ({@code redis://}, {@code rediss://},
 * {@code redis-sentinel://}, {@code rediss-sentinel://}) plus query parameters of Robit's own,
 * removed before Lettuce sees the URI: {@code cluster=true} (the hosts, comma separated, are Cluster
 * seed nodes), {@code keyPrefix=...}, the TLS files {@code cacert}, {@code cert}, {@code key} (PEM;
 * {@code rediss} schemes only), and {@code passwordFile}/{@code passwordEnv} (then a user info
 * without ':' is the ACL user name, not a password as Lettuce would read it), and
 * {@code waitForReplicas=auto|N} with {@code waitForReplicasTimeout=MILLIS} (see {@link ReplicaAcks}).
 *
 * @param uris one URI, or one per Cluster seed node, credentials included
 * @param cluster whether to connect as a Cluster client
 * @param keyPrefix the key prefix, or {@code null} for the default
 * @param tls the CA and client certificate files, or empty to use Lettuce's defaults
 * @param acks the replica acknowledgement the URI asks for, or {@code null} for the default
 */
record RedisUri(List<RedisURI> uris, boolean cluster, String keyPrefix, Optional<RedisTls> tls, ReplicaAcks acks) {

    static RedisUri parse(String uri) {
        return parse(uri, System::getenv);
    }

    static RedisUri parse(String uri, UnaryOperator<String> environment) {
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd < 0) {
            throw new IllegalArgumentException("Redis URI '" + Secrets.redact(uri)
                    + "' must look like redis://host:port[/db][?cluster=true&keyPrefix=robit:]");
        }
        String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        int fragmentStart = indexOrEnd(uri, '#', schemeEnd);
        int queryStart = indexOrEnd(uri.substring(0, fragmentStart), '?', schemeEnd);
        String fragment = uri.substring(fragmentStart);
        String query = queryStart < fragmentStart ? uri.substring(queryStart + 1, fragmentStart) : "";

        boolean cluster = false;
        String keyPrefix = null;
        String caCert = null;
        String cert = null;
        String key = null;
        String passwordFile = null;
        String passwordEnv = null;
        String waitForReplicas = null;
        String waitForReplicasTimeout = null;
        StringJoiner lettuceQuery = new StringJoiner("&");
        for (String parameter : query.split("&")) {
            if (parameter.isEmpty()) {
                continue;
            }
            int eq = parameter.indexOf('=');
            String name = eq < 0 ? parameter : parameter.substring(0, eq);
            String value = eq < 0 ? "" : URLDecoder.decode(parameter.substring(eq + 1), StandardCharsets.UTF_8);
            switch (name) {
                case "cluster" -> cluster = parseBoolean(uri, value);
                case "keyPrefix" -> keyPrefix = value;
                case "cacert" -> caCert = value;
                case "cert" -> cert = value;
                case "key" -> key = value;
                case "passwordFile" -> passwordFile = value;
                case "passwordEnv" -> passwordEnv = value;
                case "waitForReplicas" -> waitForReplicas = value;
                case "waitForReplicasTimeout" -> waitForReplicasTimeout = value;
                default -> lettuceQuery.add(parameter);
            }
        }
        Optional<RedisTls> tls = RedisTls.of(uri, scheme, caCert, cert, key);
        ReplicaAcks acks = replicaAcks(uri, waitForReplicas, waitForReplicasTimeout);
        String base = uri.substring(0, queryStart);
        String user = null;
        Optional<String> password = Optional.empty();
        if (passwordFile != null || passwordEnv != null) {
            // Take the user info away from Lettuce, which reads "user@" as a password.
            int authorityStart = schemeEnd + 3;
            int at = base.lastIndexOf('@');
            if (at >= authorityStart) {
                String userInfo = base.substring(authorityStart, at);
                if (userInfo.indexOf(':') >= 0) {
                    throw new IllegalArgumentException("Redis URI '" + Secrets.redact(uri)
                            + "' gives a password in the user info and in passwordFile/passwordEnv; give it one way");
                }
                user = URLDecoder.decode(userInfo, StandardCharsets.UTF_8);
                base = base.substring(0, authorityStart) + base.substring(at + 1);
            }
            try {
                password = Secrets.password(null, passwordFile, passwordEnv, environment);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Redis URI '" + Secrets.redact(uri) + "': " + e.getMessage(), e);
            }
        }
        String rest = base + (lettuceQuery.length() == 0 ? "" : "?" + lettuceQuery) + fragment;
        if (!cluster) {
            return new RedisUri(List.of(withPassword(toLettuce(uri, rest), user, password)), false, keyPrefix, tls, acks);
        }
        if (scheme.contains("sentinel") || scheme.contains("socket")) {
            throw new IllegalArgumentException("cluster=true needs a redis:// or rediss:// URI, got '" + Secrets.redact(uri) + "'");
        }
        // Lettuce reads one host per redis:// URI: make one URI per seed node.
        int authorityStart = schemeEnd + 3;
        int authorityEnd = authorityStart;
        while (authorityEnd < rest.length() && "/?#".indexOf(rest.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        String authority = rest.substring(authorityStart, authorityEnd);
        int at = authority.lastIndexOf('@');
        String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
        List<RedisURI> seeds = new ArrayList<>();
        for (String host : authority.substring(at + 1).split(",")) {
            seeds.add(withPassword(toLettuce(uri, rest.substring(0, authorityStart) + userInfo + host.strip() + rest.substring(authorityEnd)),
                    user, password));
        }
        return new RedisUri(List.copyOf(seeds), true, keyPrefix, tls, acks);
    }

    private static RedisURI withPassword(RedisURI target, String user, Optional<String> password) {
        if (password.isPresent()) {
            if (user == null) {
                target.setAuthentication(password.get().toCharArray());
            } else {
                target.setAuthentication(user, password.get().toCharArray());
            }
        }
        return target;
    }

    private static RedisURI toLettuce(String original, String uri) {
        try {
            return RedisURI.create(uri);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Redis URI '" + Secrets.redact(original) + "' is malformed: " + Secrets.redact(e.getMessage()), e);
        }
    }

    private static ReplicaAcks replicaAcks(String uri, String replicas, String timeoutMillis) {
        if (replicas == null && timeoutMillis == null) {
            return null;
        }
        java.time.Duration timeout = ReplicaAcks.DEFAULT_TIMEOUT;
        try {
            if (timeoutMillis != null) {
                timeout = java.time.Duration.ofMillis(Long.parseLong(timeoutMillis));
            }
            if (replicas == null || replicas.equalsIgnoreCase("auto")) {
                return ReplicaAcks.automatic(timeout);
            }
            return ReplicaAcks.fixed(Integer.parseInt(replicas), timeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("waitForReplicas must be auto or a count >= 0, and waitForReplicasTimeout a positive number of "
                    + "milliseconds, in Redis URI '" + Secrets.redact(uri) + "', got waitForReplicas=" + replicas
                    + ", waitForReplicasTimeout=" + timeoutMillis, e);
        }
    }

    private static boolean parseBoolean(String uri, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("cluster must be true or false in Redis URI '" + Secrets.redact(uri) + "', got '"
                    + value + "'");
        };
    }

    private static int indexOrEnd(String text, char c, int from) {
        int at = text.indexOf(c, from);
        return at < 0 ? text.length() : at;
    }
}
