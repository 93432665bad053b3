package io.robit.spring;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import io.robit.redis.RedisDriver;
import io.robit.spi.Driver;
import java.util.Optional;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** A driver over the Lettuce client of Spring Data Redis's connection factory; loaded only when Spring Data Redis is present. */
final class LettuceFactoryDrivers {
    private LettuceFactoryDrivers() {
    }

    static Optional<Driver<String>> create(ListableBeanFactory beans) {
        Optional<LettuceConnectionFactory> factory = BackendDrivers.unique(beans, LettuceConnectionFactory.class);
        if (factory.isEmpty()) {
            return Optional.empty();
        }
        LettuceConnectionFactory connections = factory.get();
        if (!connections.isRunning()) {
            connections.start();
        }
        AbstractRedisClient client = connections.getRequiredNativeClient();
        if (client instanceof RedisClusterClient cluster) {
            return Optional.of(RedisDriver.create(cluster));
        }
        if (client instanceof RedisClient standalone) {
            return Optional.of(RedisDriver.create(standalone));
        }
        throw new IllegalStateException("LettuceConnectionFactory uses a " + client.getClass().getName()
                + ", which Robit cannot use; set robit.backend or define a Driver bean");
    }
}
