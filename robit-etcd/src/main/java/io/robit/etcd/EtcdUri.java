package io.robit.etcd;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code etcd://[user:password@]host[:port][,host[:port]...][/][?prefix=...&timeout=...&headroom=...]}
 * URI. Immutable.
 */
record EtcdUri(List<String> hostPorts, Optional<String> user, Optional<String> password, Optional<String> prefix,
               Optional<Duration> timeout, Optional<Duration> headroom) {
    static final int DEFAULT_PORT = 2379;
    private static final String FORM = "etcd://[user:password@]host[:port][,host[:port]...][?prefix=P&timeout=5s&headroom=1s]";
    private static final Pattern HOST_PORT = Pattern.compile("^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)(?::(\\d{1,5}))?$");

    EtcdUri {
        hostPorts = List.copyOf(hostPorts);
    }

    /** The endpoints as jetcd wants them: {@code http://host:port}. */
    String[] httpEndpoints() {
        return hostPorts.stream().map(hp -> "http://" + hp).toArray(String[]::new);
    }

    static EtcdUri parse(String uri) {
        if (uri == null) {
            throw new NullPointerException("etcd uri must not be null");
        }
        String rest = uri.strip();
        if (!rest.toLowerCase(Locale.ROOT).startsWith("etcd://")) {
            throw new IllegalArgumentException("etcd uri must look like " + FORM + ", got '" + uri + "'");
        }
        rest = rest.substring("etcd://".length());
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
            if (colon < 0 || colon == 0) {
                throw new IllegalArgumentException("etcd uri '" + uri + "' must give credentials as user:password@");
            }
            user = Optional.of(decode(userInfo.substring(0, colon)));
            password = Optional.of(decode(userInfo.substring(colon + 1)));
        }
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' names no endpoint; expected " + FORM);
        }
        List<String> hostPorts = new ArrayList<>();
        for (String endpoint : rest.split(",", -1)) {
            Matcher m = HOST_PORT.matcher(endpoint);
            if (!m.matches()) {
                throw new IllegalArgumentException("etcd uri '" + uri + "' has a bad endpoint '" + endpoint + "'; expected host[:port]");
            }
            int port = m.group(2) == null ? DEFAULT_PORT : Integer.parseInt(m.group(2));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("etcd uri '" + uri + "' has port " + port + " out of range 1..65535");
            }
            hostPorts.add(m.group(1) + ":" + port);
        }
        Optional<String> prefix = Optional.empty();
        Optional<Duration> timeout = Optional.empty();
        Optional<Duration> headroom = Optional.empty();
        if (!query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                switch (name) {
                    case "prefix" -> prefix = Optional.of(value);
                    case "timeout" -> timeout = Optional.of(parseDuration(uri, "timeout", value));
                    case "headroom" -> headroom = Optional.of(parseDuration(uri, "headroom", value));
                    default -> throw new IllegalArgumentException("etcd uri '" + uri + "' has unknown parameter '" + name
                            + "'; known: prefix, timeout, headroom");
                }
            }
        }
        return new EtcdUri(hostPorts, user, password, prefix, timeout, headroom);
    }

    /** Accepts {@code 500ms}, {@code 5s}, {@code 1m} and ISO-8601 ({@code PT5S}). */
    private static Duration parseDuration(String uri, String name, String text) {
        try {
            if (text.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            if (text.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            if (text.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            return Duration.parse(text);
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("etcd uri '" + uri + "' has " + name + " '" + text + "'; expected e.g. 500ms, 5s or PT5S", e);
        }
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
