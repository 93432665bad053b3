package io.robit.internal;

import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import io.robit.spi.DriverProvider;
import java.util.Set;

/**
 * Opens {@code local:} and {@code local:NAME}: the JVM-wide in-memory drivers. Closing one does
 * nothing, since others may share it. Not API: found through {@link java.util.ServiceLoader}, as every
 * driver's provider is.
 */
public final class LocalDriverProvider implements DriverProvider {
    /** For {@link java.util.ServiceLoader}. */
    public LocalDriverProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("local");
    }

    @Override
    public Driver<String> open(String uri) {
        String name = uri.substring(uri.indexOf(':') + 1);
        if (name.startsWith("//")) {
            throw new IllegalArgumentException("local URIs are 'local:' or 'local:NAME', got '" + uri + "'");
        }
        return LocalDriver.shared(name);
    }
}
