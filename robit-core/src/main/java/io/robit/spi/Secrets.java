package io.robit.spi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps passwords out of messages and out of command lines, for driver providers that parse URIs.
 * {@link #redact} masks what looks like a secret in a URI (or in a message quoting one);
 * {@link #password} reads a password given in the URI, in a file ({@code passwordFile=PATH}) or in an
 * environment variable ({@code passwordEnv=NAME}). Stateless and thread-safe.
 */
public final class Secrets {
    /** What a masked secret is replaced with. */
    public static final String MASK = "****";

    // A query parameter whose name says it is a secret: ...password..., ...secret..., ...token...,
    // except the names that point at one (passwordFile, passwordEnv: a path or a variable name).
    private static final Pattern SECRET_PARAMETER = Pattern.compile(
            "([?&;](?!(?i:[^=&\\s]*(?:file|env)=))(?i:[^=&\\s'\"]*(?:password|passwd|pwd|secret|token)[^=&\\s'\"]*)=)([^&;\\s'\"]*)");
    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");

    private Secrets() {
    }

    /**
     * {@code text} with the password of every {@code scheme://user:password@} and the value of every
     * query parameter whose name contains {@code password}, {@code secret} or {@code token} (but not
     * {@code passwordFile}/{@code passwordEnv}) replaced by {@value #MASK}. Errs on the side of masking.
     * Null gives null.
     *
     * @param text the text to mask, or null
     * @return {@code text} with its secrets masked, or null for null
     */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(text.length());
        Matcher scheme = SCHEME.matcher(text);
        int done = 0;
        while (scheme.find(done)) {
            int start = scheme.end();
            int end = start;
            while (end < text.length() && !Character.isWhitespace(text.charAt(end)) && "'\"<>`".indexOf(text.charAt(end)) < 0) {
                end++;
            }
            out.append(text, done, start);
            out.append(redactUserInfo(text.substring(start, end)));
            done = end;
        }
        out.append(text, done, text.length());
        return SECRET_PARAMETER.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + (m.group(2).isEmpty() ? "" : MASK)));
    }

    /** {@code user:password@rest} becomes {@code user:****@rest}; the last '@' ends the user info. */
    private static String redactUserInfo(String afterScheme) {
        int at = afterScheme.lastIndexOf('@');
        if (at < 0) {
            return afterScheme;
        }
        int colon = afterScheme.indexOf(':');
        if (colon < 0 || colon > at || afterScheme.substring(0, colon).indexOf('/') >= 0) {
            return afterScheme;
        }
        return afterScheme.substring(0, colon + 1) + MASK + afterScheme.substring(at);
    }

    /**
     * The password from at most one of three places, for a URI parser.
     *
     * @param literal the password written in the URI, or null
     * @param file the value of {@code passwordFile} (a path; the file's content, less one trailing
     *     line break, is the password), or null
     * @param env the value of {@code passwordEnv} (the name of an environment variable), or null
     * @param environment how to read the environment ({@code System::getenv})
     * @return the password, or empty when none of the three is given
     * @throws IllegalArgumentException more than one is given, the file cannot be read, or the
     *     variable is not set; the message names the file or variable, never a password
     */
    public static Optional<String> password(String literal, String file, String env, UnaryOperator<String> environment) {
        Objects.requireNonNull(environment, "environment must not be null");
        int given = (literal != null ? 1 : 0) + (file != null ? 1 : 0) + (env != null ? 1 : 0);
        if (given > 1) {
            throw new IllegalArgumentException("give the password one way only: in the URI's user info, passwordFile=PATH or passwordEnv=NAME");
        }
        if (literal != null) {
            return Optional.of(literal);
        }
        if (file != null) {
            if (file.isBlank()) {
                throw new IllegalArgumentException("passwordFile must name a file, got an empty value");
            }
            try {
                return Optional.of(stripOneLineBreak(Files.readString(Path.of(file), StandardCharsets.UTF_8)));
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("passwordFile '" + file + "' cannot be read: " + e.getClass().getSimpleName(), e);
            }
        }
        if (env != null) {
            if (env.isBlank()) {
                throw new IllegalArgumentException("passwordEnv must name an environment variable, got an empty value");
            }
            String value = environment.apply(env);
            if (value == null) {
                throw new IllegalArgumentException("passwordEnv names the environment variable '" + env + "', which is not set");
            }
            return Optional.of(value);
        }
        return Optional.empty();
    }

    /**
     * Whether a URI query parameter name (any case) is one of {@code passwordFile}, {@code passwordEnv}.
     *
     * @param parameterName a URI query parameter name
     * @return whether it names where a password comes from
     */
    public static boolean isPasswordSource(String parameterName) {
        String lower = parameterName.toLowerCase(Locale.ROOT);
        return lower.equals("passwordfile") || lower.equals("passwordenv");
    }

    private static String stripOneLineBreak(String text) {
        if (text.endsWith("\r\n")) {
            return text.substring(0, text.length() - 2);
        }
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }
}
