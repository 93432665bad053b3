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
        return provider.open(uri.strip());
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
