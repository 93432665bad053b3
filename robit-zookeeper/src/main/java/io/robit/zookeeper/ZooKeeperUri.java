package io.robit.zookeeper;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code zookeeper://host:port[,host:port...][/chroot][?sessionTimeout=..&connectionTimeout=..]}.
 *
 * @param connectString the hosts, as ZooKeeper takes them
 * @param namespace the chroot without its leading slash, used as the Curator namespace
 * @param sessionTimeout the session timeout to ask for (the server may negotiate it down or up)
 * @param connectionTimeout how long to wait for the first connection
 */
record ZooKeeperUri(String connectString, Optional<String> namespace, Duration sessionTimeout, Duration connectionTimeout) {
    static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(15);

    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)?");
    private static final String EXAMPLE = "zookeeper://127.0.0.1:2181[,host:port...][/chroot][?sessionTimeout=30s&connectionTimeout=15s]";

    /**
     * @throws IllegalArgumentException the URI is malformed; the message shows the expected form
     */
    static ZooKeeperUri parse(String uri) {
        if (uri == null) {
            throw new NullPointerException("uri must not be null");
        }
        String text = uri.strip();
        String scheme = "zookeeper://";
        if (!text.regionMatches(true, 0, scheme, 0, scheme.length())) {
            throw malformed(uri, "it must start with zookeeper://");
        }
        String rest = text.substring(scheme.length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String hosts = rest;
        String chroot = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            hosts = rest.substring(0, slash);
            chroot = rest.substring(slash + 1);
        }
        if (hosts.isEmpty()) {
            throw malformed(uri, "it names no host");
        }
        for (String host : hosts.split(",", -1)) {
            if (!HOST.matcher(host).matches()) {
                throw malformed(uri, "'" + host + "' is not host or host:port");
            }
        }
        while (chroot.endsWith("/")) {
            chroot = chroot.substring(0, chroot.length() - 1);
        }
        if (chroot.contains("//") || chroot.startsWith("/")) {
            throw malformed(uri, "the chroot '/" + chroot + "' has an empty segment");
        }
        Duration session = DEFAULT_SESSION_TIMEOUT;
        Duration connection = DEFAULT_CONNECTION_TIMEOUT;
        if (!query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                switch (key) {
                    case "sessionTimeout" -> session = duration(uri, key, value);
                    case "connectionTimeout" -> connection = duration(uri, key, value);
                    default -> throw malformed(uri, "unknown parameter '" + key + "' (known: sessionTimeout, connectionTimeout)");
                }
            }
        }
        return new ZooKeeperUri(hosts, chroot.isEmpty() ? Optional.empty() : Optional.of(chroot), session, connection);
    }

    private static Duration duration(String uri, String key, String value) {
        Matcher m = DURATION.matcher(value.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw malformed(uri, key + " '" + value + "' is not a duration such as 1500ms, 30s or 2m");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        Duration d = switch (unit) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofMillis(amount);
        };
        if (d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
            throw malformed(uri, key + " '" + value + "' must be positive and below 24 days");
        }
        return d;
    }

    private static IllegalArgumentException malformed(String uri, String why) {
        return new IllegalArgumentException("malformed ZooKeeper URI '" + uri + "': " + why + "; expected " + EXAMPLE);
    }
}
