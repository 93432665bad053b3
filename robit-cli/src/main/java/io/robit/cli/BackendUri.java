package io.robit.cli;

import io.robit.spi.Secrets;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Checks the shape of a {@code scheme://[user[:password]@]host[:port][,host[:port]...][/path][?query]}
 * backend URI before any driver sees it, so that a malformed one is a usage error (exit 64) said in
 * the command's words, with any password masked. Opaque URIs ({@code sqlite:PATH}, {@code local:})
 * and unknown schemes are left to the drivers. Stateless.
 */
final class BackendUri {
    private BackendUri() {
    }

    /**
     * Returns {@code uri} when its authority is well formed.
     *
     * @throws IllegalArgumentException what is wrong, naming the URI with its password masked
     */
    static String check(String uri) {
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd <= 0) {
            return uri;
        }
        String shown = Secrets.redact(uri);
        try {
            new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed backend URI '" + shown + "': " + reason(e)
                    + " at character " + (e.getIndex() + 1) + example(uri.substring(0, schemeEnd)));
        }
        String rest = uri.substring(schemeEnd + 3);
        int end = indexOfAny(rest, "/?#");
        String authority = end < 0 ? rest : rest.substring(0, end);
        String hosts = authority.substring(authority.lastIndexOf('@') + 1);
        for (String host : hosts.split(",", -1)) {
            checkHostPort(host, shown, uri.substring(0, schemeEnd));
        }
        return uri;
    }

    private static void checkHostPort(String hostPort, String shown, String scheme) {
        if (hostPort.isEmpty()) {
            return; // the driver says whether it needs a host (some take defaults)
        }
        String port;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            port = close >= 0 && close + 1 < hostPort.length() && hostPort.charAt(close + 1) == ':' ? hostPort.substring(close + 2) : null;
        } else {
            int colon = hostPort.indexOf(':');
            port = colon < 0 ? null : hostPort.substring(colon + 1);
        }
        if (port == null) {
            return;
        }
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("malformed backend URI '" + shown + "': port '" + port + "' of '"
                    + Secrets.redact(hostPort) + "' is not a number from 1 to 65535" + example(scheme));
        }
    }

    /** The parser's reason, lower-cased, without its echo of the input. */
    private static String reason(URISyntaxException e) {
        String reason = e.getReason();
        return reason.isEmpty() ? "cannot be parsed" : Character.toLowerCase(reason.charAt(0)) + reason.substring(1);
    }

    private static String example(String scheme) {
        String lower = scheme.toLowerCase(Locale.ROOT);
        String example = switch (lower) {
            case "redis", "rediss" -> "redis://[:password@]host:6379[/database]";
            case "postgresql", "postgres" -> "postgresql://user[:password]@host:5432/database";
            case "mysql", "mariadb" -> lower + "://user[:password]@host:3306/database";
            case "etcd" -> "etcd://host:2379[,host:2379...]";
            case "zookeeper" -> "zookeeper://host:2181[,host:2181...][/chroot]";
            default -> null;
        };
        return example == null ? "" : "; expected e.g. " + example;
    }

    private static int indexOfAny(String text, String chars) {
        for (int i = 0; i < text.length(); i++) {
            if (chars.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
