package io.robit.etcd.internal;

import io.robit.etcd.EtcdDriver;
import io.robit.spi.Driver;
import io.robit.spi.DriverProvider;
import java.util.Set;

/**
 * Opens {@code etcd://[user:password@]host[:port][,host[:port]...][?prefix=P&timeout=5s&headroom=1s]} and
 * {@code etcds://...} (TLS) for {@link io.robit.Drivers#open}; see {@link EtcdDriver#builder(String)}. The driver owns its jetcd client.
 */
public final class EtcdDriverProvider implements DriverProvider {
    /** For {@link java.util.ServiceLoader}. */
    public EtcdDriverProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("etcd", "etcds");
    }

    @Override
    public Driver<String> open(String uri) {
        return EtcdDriver.builder(uri).build();
    }
}
