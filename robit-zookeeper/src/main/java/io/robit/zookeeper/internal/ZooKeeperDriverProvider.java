package io.robit.zookeeper.internal;

import io.robit.spi.Driver;
import io.robit.spi.DriverProvider;
import io.robit.zookeeper.ZooKeeperDriver;
import java.util.Set;

/** Opens {@code zookeeper://} URIs for {@link io.robit.Drivers#open}; see {@link ZooKeeperDriver#open}. */
public final class ZooKeeperDriverProvider implements DriverProvider {
    /** For {@link java.util.ServiceLoader}. */
    public ZooKeeperDriverProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("zookeeper");
    }

    @Override
    public Driver<String> open(String uri) {
        return ZooKeeperDriver.open(uri);
    }
}
