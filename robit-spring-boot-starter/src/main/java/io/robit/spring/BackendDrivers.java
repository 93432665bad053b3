package io.robit.spring;

import io.robit.Drivers;
import io.robit.spi.Driver;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.util.ClassUtils;

/**
 * Builds the starter's driver: from {@code robit.backend}, else from the first client bean the
 * application has (jetcd Client, CuratorFramework, Lettuce RedisClient, LettuceConnectionFactory,
 * DataSource). A driver built over an application's client never closes that client. Each backend
 * is looked at only when its classes are present, so unused driver modules can be excluded.
 */
final class BackendDrivers {
    /** A backend: the classes it needs, and how to build a driver over the application's client, if it has one. */
    private record Source(List<String> classes, BiFunction<ListableBeanFactory, RobitProperties, Optional<Driver<String>>> build) {
    }

    private static final List<Source> SOURCES = List.of(
            new Source(List.of("io.robit.etcd.EtcdDriver", "io.etcd.jetcd.Client"), (beans, p) -> ClientDrivers.etcd(beans)),
            new Source(List.of("io.robit.zookeeper.ZooKeeperDriver", "org.apache.curator.framework.CuratorFramework"), (beans, p) -> ClientDrivers.zooKeeper(beans)),
            new Source(List.of("io.robit.redis.RedisDriver", "io.lettuce.core.RedisClient"), (beans, p) -> ClientDrivers.redis(beans)),
            new Source(List.of("io.robit.redis.RedisDriver", "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory"),
                    (beans, p) -> LettuceFactoryDrivers.create(beans)),
            new Source(List.of("io.robit.jdbc.JdbcDriver", "javax.sql.DataSource"), ClientDrivers::jdbc));

    private BackendDrivers() {
    }

    static Driver<String> create(RobitProperties properties, ListableBeanFactory beans) {
        String backend = properties.getBackend();
        if (backend != null && !backend.isBlank()) {
            return Drivers.open(backend.strip());
        }
        ClassLoader loader = BackendDrivers.class.getClassLoader();
        for (Source source : SOURCES) {
            if (source.classes().stream().allMatch(c -> ClassUtils.isPresent(c, loader))) {
                Optional<Driver<String>> driver = source.build().apply(beans, properties);
                if (driver.isPresent()) {
                    return driver.get();
                }
            }
        }
        throw new IllegalStateException("Robit has no lock backend: set robit.backend to a URI (redis://host:6379, postgresql://host/db, "
                + "sqlite:PATH, etcd://host:2379, zookeeper://host:2181, ...), or define a DataSource, Lettuce RedisClient, "
                + "LettuceConnectionFactory, jetcd Client or CuratorFramework bean, or a io.robit.spi.Driver bean of your own");
    }

    static <T> Optional<T> unique(ListableBeanFactory beans, Class<T> type) {
        return Optional.ofNullable(beans.getBeanProvider(type).getIfUnique());
    }
}
