package io.robit.spring;

import io.robit.spi.Driver;
import java.util.Optional;
import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Drivers over the application's own client beans. Each backend is a nested class of its own, loaded
 * only when {@link BackendDrivers} found its classes, so an excluded driver module is never touched.
 */
final class ClientDrivers {
    private ClientDrivers() {
    }

    static Optional<Driver<String>> etcd(ListableBeanFactory beans) {
        return Etcd.from(beans);
    }

    static Optional<Driver<String>> zooKeeper(ListableBeanFactory beans) {
        return ZooKeeper.from(beans);
    }

    static Optional<Driver<String>> redis(ListableBeanFactory beans) {
        return Redis.from(beans);
    }

    static Optional<Driver<String>> jdbc(ListableBeanFactory beans, RobitProperties properties) {
        return Jdbc.from(beans, properties);
    }

    private static final class Etcd {
        static Optional<Driver<String>> from(ListableBeanFactory beans) {
            return BackendDrivers.unique(beans, io.etcd.jetcd.Client.class).map(io.robit.etcd.EtcdDriver::create);
        }
    }

    private static final class ZooKeeper {
        static Optional<Driver<String>> from(ListableBeanFactory beans) {
            return BackendDrivers.unique(beans, org.apache.curator.framework.CuratorFramework.class).map(io.robit.zookeeper.ZooKeeperDriver::create);
        }
    }

    private static final class Redis {
        static Optional<Driver<String>> from(ListableBeanFactory beans) {
            return BackendDrivers.unique(beans, io.lettuce.core.RedisClient.class).map(io.robit.redis.RedisDriver::create);
        }
    }

    private static final class Jdbc {
        static Optional<Driver<String>> from(ListableBeanFactory beans, RobitProperties properties) {
            return BackendDrivers.unique(beans, javax.sql.DataSource.class).map(dataSource -> {
                io.robit.jdbc.JdbcDriver.Builder builder = io.robit.jdbc.JdbcDriver.builder(dataSource).table(properties.getJdbc().getTable());
                if (properties.getJdbc().isCreateTable()) {
                    builder.createTableIfMissing();
                }
                return builder.build();
            });
        }
    }
}
