package io.robit;

import io.robit.spi.Driver;
import io.robit.spi.DriverProvider;
import io.robit.spi.Secrets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens a {@link Driver} from a URI, through the {@link DriverProvider}s on the classpath.
 *
 * <p>{@code local:} (core) gives the JVM-wide in-memory driver; {@code local:NAME} a separate one per
 * name. Driver modules add {@code redis://}, {@code rediss://}, {@code postgresql://},
 * {@code mysql://}, {@code mariadb://}, {@code sqlite:PATH}, {@code etcd://} and
 * {@code zookeeper://}. The returned driver owns its connections: close it when done.
 */
public final class Drivers {
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");

    private Drivers() {
    }

    /**
     * Opens a driver for {@code uri}.
     *
     * @throws IllegalArgumentException the URI has no scheme, or no driver module on the classpath
     *     handles its scheme (the message lists the schemes that are known)
     * @throws DriverException the backend could not be reached
     * @param uri the backend URI, e.g. {@code redis://127.0.0.1:6379}
     * @return a driver for the URI's scheme; it owns its connections, so close it when done
     */
    public static Driver<String> open(String uri) {
        Objects.requireNonNull(uri, "uri must not be null");
        Matcher matcher = SCHEME.matcher(uri.strip());
        if (!matcher.find()) {
            throw new IllegalArgumentException("backend URI '" + Secrets.redact(uri) + "' has no scheme; expected one of " + knownSchemes().keySet()
                    + ", e.g. redis://localhost:6379 or sqlite:/path/to/locks.db");
        }
        String scheme = matcher.group(1).toLowerCase(Locale.ROOT);
        DriverProvider provider = knownSchemes().get(scheme);
        if (provider == null) {
            throw new IllegalArgumentException("no Robit driver for scheme '" + scheme + "' in '" + Secrets.redact(uri) + "'; known schemes: "
                    + knownSchemes().keySet() + " (add the robit-<backend> module to the classpath for others)");
        }
        try {
            return provider.open(uri.strip());
        } catch (RuntimeException e) {
            throw withoutSecrets(e, uri);
        }
    }

    /**
     * {@code e} itself when nothing it would print (messages of it and its causes) shows a password of
     * {@code uri}; otherwise an exception of the same kind whose message is masked, with the same stack
     * trace but without the causes that quoted the password.
     */
    static RuntimeException withoutSecrets(RuntimeException e, String uri) {
        String password = userInfoPassword(uri);
        boolean leaks = false;
        for (Throwable t = e; t != null && !leaks; t = t.getCause()) {
            String message = t.getMessage();
            leaks = message != null && (!message.equals(Secrets.redact(message)) || password != null && message.contains(password));
        }
        if (!leaks) {
            return e;
        }
        String message = Secrets.redact(String.valueOf(e.getMessage()));
        if (password != null) {
            message = message.replace(password, Secrets.MASK);
        }
        RuntimeException masked = e instanceof DriverException ? new DriverException(message, null)
                : e instanceof IllegalArgumentException ? new IllegalArgumentException(message)
                : new IllegalStateException(message);
        masked.setStackTrace(e.getStackTrace());
        return masked;
    }

    /** The password of {@code scheme://user:password@host...}, or null (also when shorter than 3 characters). */
    private static String userInfoPassword(String uri) {
        int start = uri.indexOf("://");
        if (start < 0) {
            return null;
        }
        String rest = uri.substring(start + 3);
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        int at = authority.lastIndexOf('@');
        int colon = authority.indexOf(':');
        if (at < 0 || colon < 0 || colon > at) {
            return null;
        }
        String password = authority.substring(colon + 1, at);
        return password.length() < 3 ? null : password; // a short one would mask unrelated text
    }

    /** The schemes the driver modules on the classpath handle, and their providers. */
    static Map<String, DriverProvider> knownSchemes() {
        Map<String, DriverProvider> byScheme = new TreeMap<>();
        for (DriverProvider provider : ServiceLoader.load(DriverProvider.class, Drivers.class.getClassLoader())) {
            for (String scheme : provider.schemes()) {
                byScheme.putIfAbsent(scheme.toLowerCase(Locale.ROOT), provider);
            }
        }
        return byScheme;
    }
}
