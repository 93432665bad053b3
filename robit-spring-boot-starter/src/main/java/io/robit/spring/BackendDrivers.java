package io.robit.spring;

import io.etcd.jetcd.Client;
import io.lettuce.core.RedisClient;
import io.robit.Drivers;
import io.robit.etcd.EtcdDriver;
import io.robit.jdbc.JdbcDriver;
import io.robit.redis.RedisDriver;
import io.robit.spi.Driver;
import io.robit.zookeeper.ZooKeeperDriver;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.ClassUtils;

/**
 * Builds the starter's driver: from {@code robit.backend}, else from the first client bean the
 * application has (jetcd Client, CuratorFramework, Lettuce RedisClient, LettuceConnectionFactory,
 * DataSource). A driver built over an application's client never closes that client.
 */
final class BackendDrivers {
    private static final String LETTUCE_FACTORY = "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory";

    private BackendDrivers() {
    }

    static Driver<String> create(RobitProperties properties, ListableBeanFactory beans) {
        String backend = properties.getBackend();
        if (backend != null && !backend.isBlank()) {
            return Drivers.open(backend.strip());
        }
        Optional<Client> etcd = unique(beans, Client.class);
        if (etcd.isPresent()) {
            return EtcdDriver.create(etcd.get());
        }
        Optional<CuratorFramework> curator = unique(beans, CuratorFramework.class);
        if (curator.isPresent()) {
            return ZooKeeperDriver.create(curator.get());
        }
        Optional<RedisClient> redis = unique(beans, RedisClient.class);
        if (redis.isPresent()) {
            return RedisDriver.create(redis.get());
        }
        if (ClassUtils.isPresent(LETTUCE_FACTORY, BackendDrivers.class.getClassLoader())) {
            Optional<Driver<String>> fromFactory = LettuceFactoryDrivers.create(beans);
            if (fromFactory.isPresent()) {
                return fromFactory.get();
            }
        }
        Optional<DataSource> dataSource = unique(beans, DataSource.class);
        if (dataSource.isPresent()) {
            JdbcDriver.Builder builder = JdbcDriver.builder(dataSource.get()).table(properties.getJdbc().getTable());
            if (properties.getJdbc().isCreateTable()) {
                builder.createTableIfMissing();
            }
            return builder.build();
        }
        throw new IllegalStateException("Robit has no lock backend: set robit.backend to a URI (redis://host:6379, postgresql://host/db, "
                + "sqlite:PATH, etcd://host:2379, zookeeper://host:2181, ...), or define a DataSource, Lettuce RedisClient, "
                + "LettuceConnectionFactory, jetcd Client or CuratorFramework bean, or a io.robit.spi.Driver bean of your own");
    }

    static <T> Optional<T> unique(ListableBeanFactory beans, Class<T> type) {
        ObjectProvider<T> provider = beans.getBeanProvider(type);
        return Optional.ofNullable(provider.getIfUnique());
    }
}
