package io.robit.jdbc.internal;

import io.robit.jdbc.JdbcDriver;
import io.robit.spi.Driver;
import io.robit.spi.DriverProvider;
import java.util.Set;

/**
 * Opens {@code postgresql://}, {@code postgres://}, {@code mysql://}, {@code mariadb://} and
 * {@code sqlite:PATH} URIs for {@link io.robit.Drivers#open}, through {@link JdbcDriver#open}.
 * Stateless. Not API: registered with {@link java.util.ServiceLoader}.
 */
public final class JdbcDriverProvider implements DriverProvider {

    /** For {@link java.util.ServiceLoader}. */
    public JdbcDriverProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("postgresql", "postgres", "mysql", "mariadb", "sqlite");
    }

    @Override
    public Driver<String> open(String uri) {
        return JdbcDriver.open(uri);
    }
}
