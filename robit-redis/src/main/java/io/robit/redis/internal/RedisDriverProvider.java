package io.robit.redis.internal;

import io.robit.redis.RedisDriver;
import io.robit.spi.Driver;
import io.robit.spi.DriverProvider;
import java.util.Set;

/**
 * Opens {@code redis://}, {@code rediss://}, {@code redis-sentinel://} and
 * {@code rediss-sentinel://} URIs with {@link RedisDriver#open(String)}. Not API: found by
 * {@link java.util.ServiceLoader}.
 */
public final class RedisDriverProvider implements DriverProvider {
    /** For {@link java.util.ServiceLoader}. */
    public RedisDriverProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss", "redis-sentinel", "rediss-sentinel");
    }

    @Override
    public Driver<String> open(String uri) {
        return RedisDriver.open(uri);
    }
}
