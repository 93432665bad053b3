package io.robit.redis;

import io.lettuce.core.RedisURI;
import io.robit.spi.Secrets;
import io.robit.spi.support.UriParameters;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.UnaryOperator;

/**
 * A Robit Redis URI taken apart: Lettuce's URI syntax ({@code redis://}, {@code rediss://},
 * {@code redis-sentinel://}, {@code rediss-sentinel://}) with its query read through the support
 * kit's {@link UriParameters} (names in any case, a parameter given twice refused, unknown ones
 * refused). Robit's own parameters: {@code cluster=true} (the hosts, comma separated, are Cluster
 * seed nodes), {@code keyPrefix=...}, the TLS files {@code cacert}, {@code cert}, {@code key} (PEM;
 * {@code rediss} schemes only), {@code passwordFile}/{@code passwordEnv} (then a user info without
 * ':' is the ACL user name, not a password as Lettuce would read it), and
 * {@code waitForReplicas=auto|N} with {@code waitForReplicasTimeout} (milliseconds, or a duration
 * such as {@code 500ms}; see {@link ReplicaAcks}). Lettuce's own parameters ({@link #LETTUCE}) are
 * handed to Lettuce.
 *
 * @param uris one URI, or one per Cluster seed node, credentials included
 * @param cluster whether to connect as a Cluster client
 * @param keyPrefix the key prefix, or {@code null} for the default
 * @param tls the CA and client certificate files, or empty to use Lettuce's defaults
 * @param acks the replica acknowledgement the URI asks for, or {@code null} for the default
 */
record RedisUri(List<RedisURI> uris, boolean cluster, String keyPrefix, Optional<RedisTls> tls, ReplicaAcks acks) {
    /** The query parameters Lettuce reads itself ({@code RedisURI.PARAMETER_NAME_*}), passed on. */
    static final List<String> LETTUCE = List.of(RedisURI.PARAMETER_NAME_TIMEOUT, RedisURI.PARAMETER_NAME_DATABASE,
            RedisURI.PARAMETER_NAME_DATABASE_ALT, RedisURI.PARAMETER_NAME_SENTINEL_MASTER_ID, RedisURI.PARAMETER_NAME_CLIENT_NAME,
            RedisURI.PARAMETER_NAME_LIBRARY_NAME, RedisURI.PARAMETER_NAME_LIBRARY_VERSION, RedisURI.PARAMETER_NAME_VERIFY_PEER);
    private static final String FORM = "redis://host:port[/db][?cluster=true&keyPrefix=robit:]";
    private static final String KNOWN = "cluster, keyPrefix, waitForReplicas, waitForReplicasTimeout, cacert, cert, key, passwordFile, "
            + "passwordEnv, and Lettuce's " + String.join(", ", LETTUCE);

    static RedisUri parse(String uri) {
        return parse(uri, System::getenv);
    }

    static RedisUri parse(String uri, UnaryOperator<String> environment) {
        Objects.requireNonNull(uri, "uri must not be null");
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd < 0) {
            throw new IllegalArgumentException("Redis URI '" + Secrets.redact(uri) + "' must look like " + FORM);
        }
        String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        int fragmentStart = indexOrEnd(uri, '#', schemeEnd);
        int queryStart = indexOrEnd(uri.substring(0, fragmentStart), '?', schemeEnd);
        String fragment = uri.substring(fragmentStart);
        UriParameters parameters = UriParameters.parse("redis", uri, queryStart < fragmentStart ? uri.substring(queryStart + 1, fragmentStart) : null);

        boolean cluster = parameters.takeBoolean("cluster").orElse(false);
        String keyPrefix = parameters.take("keyPrefix").orElse(null);
        String caCert = parameters.takeNonEmpty("cacert", "a PEM file path").orElse(null);
        String cert = parameters.takeNonEmpty("cert", "a PEM file path").orElse(null);
        String key = parameters.takeNonEmpty("key", "a PEM file path").orElse(null);
        ReplicaAcks acks = replicaAcks(parameters);
        StringJoiner lettuceQuery = new StringJoiner("&");
        for (String name : LETTUCE) {
            parameters.take(name).ifPresent(value -> lettuceQuery.add(name + "=" + encode(value)));
        }

        // The password: the user info's (left to Lettuce), or passwordFile/passwordEnv (set here).
        String base = uri.substring(0, queryStart);
        int authorityStart = schemeEnd + 3;
        int at = base.lastIndexOf('@');
        String userInfo = at >= authorityStart ? base.substring(authorityStart, at) : null;
        int colon = userInfo == null ? -1 : userInfo.indexOf(':');
        // Only counted (a password given twice is refused), never decoded or shown: Lettuce reads it.
        String literal = colon < 0 ? null : userInfo.substring(colon + 1);
        Optional<String> password = parameters.takePassword(literal, environment);
        String user = null;
        if (password.isPresent() && literal == null) {
            // From passwordFile/passwordEnv: take the user info away from Lettuce, which reads "user@" as a password.
            if (userInfo != null) {
                user = userInfo.isEmpty() ? null : decode(userInfo);
                base = base.substring(0, authorityStart) + base.substring(at + 1);
            }
        } else {
            password = Optional.empty(); // Lettuce reads it from the user info
        }

        if (cluster && (scheme.contains("sentinel") || scheme.contains("socket"))) {
            throw new IllegalArgumentException("cluster=true needs a redis:// or rediss:// URI, got '" + Secrets.redact(uri) + "'");
        }
        parameters.rejectUnknown(KNOWN);
        Optional<RedisTls> tls = RedisTls.of(uri, scheme, caCert, cert, key);
        String rest = base + (lettuceQuery.length() == 0 ? "" : "?" + lettuceQuery) + fragment;
        if (!cluster) {
            return new RedisUri(List.of(withPassword(toLettuce(uri, rest), user, password)), false, keyPrefix, tls, acks);
        }
        // Lettuce reads one host per redis:// URI: make one URI per seed node.
        int authorityEnd = authorityStart;
        while (authorityEnd < rest.length() && "/?#".indexOf(rest.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        String authority = rest.substring(authorityStart, authorityEnd);
        int seedsStart = authority.lastIndexOf('@');
        String seedUserInfo = seedsStart < 0 ? "" : authority.substring(0, seedsStart + 1);
        List<RedisURI> seeds = new ArrayList<>();
        for (String host : authority.substring(seedsStart + 1).split(",")) {
            String seed = rest.substring(0, authorityStart) + seedUserInfo + host.strip() + rest.substring(authorityEnd);
            seeds.add(withPassword(toLettuce(uri, seed), user, password));
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

    /** {@code waitForReplicas=auto|N} and {@code waitForReplicasTimeout} (bare numbers are milliseconds, as documented). */
    private static ReplicaAcks replicaAcks(UriParameters parameters) {
        Optional<String> replicas = parameters.take("waitForReplicas");
        Optional<String> timeoutText = parameters.take("waitForReplicasTimeout");
        if (replicas.isEmpty() && timeoutText.isEmpty()) {
            return null;
        }
        Duration timeout = ReplicaAcks.DEFAULT_TIMEOUT;
        try {
            if (timeoutText.isPresent()) {
                String text = timeoutText.get().strip();
                timeout = text.chars().allMatch(Character::isDigit) && !text.isEmpty()
                        ? Duration.ofMillis(Long.parseLong(text)) : UriParameters.parseDuration(text);
            }
            if (replicas.isEmpty() || replicas.get().equalsIgnoreCase("auto")) {
                return ReplicaAcks.automatic(timeout);
            }
            return ReplicaAcks.fixed(Integer.parseInt(replicas.get().strip()), timeout);
        } catch (IllegalArgumentException e) {
            throw parameters.malformed("has waitForReplicas=" + replicas.orElse("(not given)") + ", waitForReplicasTimeout="
                    + timeoutText.orElse("(not given)") + "; waitForReplicas must be auto or a count >= 0, and waitForReplicasTimeout "
                    + "a positive time of at most 1 min, in milliseconds or as 500ms, 1s: " + e.getMessage());
        }
    }

    private static String encode(String value) {
        // Lettuce reads the query through java.net.URI, which does not turn '+' into a space.
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    private static int indexOrEnd(String text, char c, int from) {
        int at = text.indexOf(c, from);
        return at < 0 ? text.length() : at;
    }
}
