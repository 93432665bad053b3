package io.robit.spi.support;

import io.robit.spi.Secrets;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The query parameters of one driver URI, for a {@code DriverProvider}: each {@code take...} reads
 * and removes one parameter, so that what is left is either passed on to the client library
 * ({@link #rest()}) or refused ({@link #rejectUnknown}). Names match in any case; values are
 * URL-decoded; a parameter without {@code =} has the empty value; a parameter given twice is refused.
 * Every message starts with the backend's name and the URI with its secrets masked
 * ({@link Secrets#redact}). Not thread-safe: one per parse.
 */
public final class UriParameters {
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d{1,18})(ms|s|m|h)");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(?::(\\d{1,5}))?");

    private final String backend;
    private final String shownUri;
    // By lower-case name: the name as written and the decoded value, in the URI's order.
    private final Map<String, String[]> parameters = new LinkedHashMap<>();

    private UriParameters(String backend, String shownUri) {
        this.backend = backend;
        this.shownUri = shownUri;
    }

    /**
     * Splits a URI's query into its parameters.
     *
     * @param backend the backend's name, for messages ({@code "etcd"})
     * @param uri the whole URI, for messages only (its secrets are masked)
     * @param query the text after {@code ?} (raw, not yet decoded), or null for none
     * @return the parameters
     * @throws IllegalArgumentException a parameter is given twice, or its name is empty
     */
    public static UriParameters parse(String backend, String uri, String query) {
        UriParameters parsed = new UriParameters(Objects.requireNonNull(backend, "backend must not be null"), Secrets.redact(uri));
        if (query == null || query.isEmpty()) {
            return parsed;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (name.isEmpty()) {
                throw parsed.malformed("has a query parameter with no name");
            }
            if (parsed.parameters.putIfAbsent(name.toLowerCase(Locale.ROOT), new String[] {name, value}) != null) {
                throw parsed.malformed("gives the parameter '" + name + "' twice");
            }
        }
        return parsed;
    }

    /**
     * Reads and removes a parameter.
     *
     * @param name the parameter's name, in any case
     * @return its decoded value (empty string when written without {@code =}), or empty if absent
     */
    public Optional<String> take(String name) {
        String[] entry = parameters.remove(name.toLowerCase(Locale.ROOT));
        return entry == null ? Optional.empty() : Optional.of(entry[1]);
    }

    /**
     * Like {@link #take}, refusing an empty or blank value.
     *
     * @param name the parameter's name
     * @param what what the value should be, for the message ({@code "a PEM file path"})
     * @return the value, or empty if absent
     */
    public Optional<String> takeNonEmpty(String name, String what) {
        Optional<String> value = take(name);
        if (value.isPresent() && value.get().isBlank()) {
            throw malformed("has an empty " + name + "; give " + what);
        }
        return value;
    }

    /**
     * A duration parameter, written {@code 500ms}, {@code 5s}, {@code 1m}, {@code 2h} or in
     * ISO-8601 ({@code PT5S}); it must be positive.
     *
     * @param name the parameter's name
     * @return the duration, or empty if absent
     */
    public Optional<Duration> takeDuration(String name) {
        Optional<String> text = take(name);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Arguments.positive(name, parseDuration(text.get())));
        } catch (IllegalArgumentException e) {
            throw malformed("has " + name + " '" + text.get() + "': " + e.getMessage(), e);
        }
    }

    /**
     * A boolean parameter: {@code true}, {@code false} (any case), or no value, which means true.
     *
     * @param name the parameter's name
     * @return the value, or empty if absent
     */
    public Optional<Boolean> takeBoolean(String name) {
        return take(name).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "" -> true;
            case "false" -> false;
            default -> throw malformed("has " + name + " '" + value + "'; expected true or false");
        });
    }

    /**
     * An integer parameter within {@code [min, max]}.
     *
     * @param name the parameter's name
     * @param min the least value allowed
     * @param max the greatest value allowed
     * @return the value, or empty if absent
     */
    public Optional<Integer> takeInt(String name, int min, int max) {
        return take(name).map(value -> {
            int parsed;
            try {
                parsed = Integer.parseInt(value.strip());
            } catch (NumberFormatException e) {
                throw malformed("has " + name + " '" + value + "'; expected a whole number from " + min + " to " + max, e);
            }
            if (parsed < min || parsed > max) {
                throw malformed("has " + name + " " + parsed + "; expected " + min + " to " + max);
            }
            return parsed;
        });
    }

    /**
     * The password, from at most one of the URI's user info ({@code literal}), {@code passwordFile}
     * or {@code passwordEnv} (both read and removed here); see {@link Secrets#password}.
     *
     * @param literal the password from the URI's user info, or null
     * @param environment how to read an environment variable ({@code System::getenv})
     * @return the password, or empty when none is given
     */
    public Optional<String> takePassword(String literal, UnaryOperator<String> environment) {
        String file = take("passwordFile").orElse(null);
        String env = take("passwordEnv").orElse(null);
        try {
            return Secrets.password(literal, file, env, environment);
        } catch (IllegalArgumentException e) {
            throw malformed(": " + e.getMessage(), e);
        }
    }

    /** {@return the parameters not taken yet, by their names as written, in the URI's order} */
    public Map<String, String> rest() {
        Map<String, String> rest = new LinkedHashMap<>();
        parameters.values().forEach(entry -> rest.put(entry[0], entry[1]));
        return rest;
    }

    /**
     * Refuses any parameter not taken yet.
     *
     * @param known the parameters this backend takes, for the message
     * @throws IllegalArgumentException naming the first unknown parameter
     */
    public void rejectUnknown(String known) {
        if (!parameters.isEmpty()) {
            throw malformed("has unknown parameter '" + parameters.values().iterator().next()[0] + "'; known: " + known);
        }
    }

    /**
     * Parses a comma-separated list of {@code host[:port]} (a name, an IPv4 address or a
     * bracketed IPv6 address), giving each a port.
     *
     * @param hosts the list
     * @param defaultPort the port of a host written without one; 0 to leave it out
     * @return each as {@code host:port} (or {@code host} when it has no port and none is defaulted)
     */
    public List<String> hostPorts(String hosts, int defaultPort) {
        if (hosts == null || hosts.isEmpty()) {
            throw malformed("names no host");
        }
        List<String> result = new ArrayList<>();
        for (String hostPort : hosts.split(",", -1)) {
            Matcher m = HOST_PORT.matcher(hostPort);
            if (!m.matches()) {
                throw malformed("has a bad host '" + hostPort + "'; expected host[:port]");
            }
            int port = m.group(2) != null ? Integer.parseInt(m.group(2)) : defaultPort;
            if (m.group(2) != null && (port < 1 || port > 65535)) {
                throw malformed("has port " + port + " out of range 1..65535");
            }
            result.add(port > 0 ? m.group(1) + ":" + port : m.group(1));
        }
        return result;
    }

    /**
     * An exception whose message is {@code "<backend> uri '<uri, secrets masked>' <what>"}.
     *
     * @param what what is wrong, e.g. {@code "names no host"}
     * @return the exception, to throw
     */
    public IllegalArgumentException malformed(String what) {
        return malformed(what, null);
    }

    private IllegalArgumentException malformed(String what, Throwable cause) {
        String separator = what.startsWith(":") ? "" : " ";
        return new IllegalArgumentException(backend + " uri '" + shownUri + "'" + separator + what, cause);
    }

    /**
     * Parses {@code 500ms}, {@code 5s}, {@code 1m}, {@code 2h} or ISO-8601 ({@code PT5S}).
     *
     * @param text the duration as written
     * @return the duration (may be zero or negative in ISO form: check it with {@link Arguments})
     * @throws IllegalArgumentException in none of these forms
     */
    public static Duration parseDuration(String text) {
        Objects.requireNonNull(text, "duration must not be null");
        String trimmed = text.strip();
        Matcher m = SHORT_DURATION.matcher(trimmed);
        try {
            if (m.matches()) {
                long amount = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    default -> Duration.ofHours(amount);
                };
            }
            return Duration.parse(trimmed);
        } catch (ArithmeticException | DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; expected e.g. 500ms, 5s, 1m or PT5S", e);
        }
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // The text may be a secret: the message does not quote it.
            throw new IllegalArgumentException("a query parameter is not URL-encoded correctly: " + e.getMessage(), e);
        }
    }
}
