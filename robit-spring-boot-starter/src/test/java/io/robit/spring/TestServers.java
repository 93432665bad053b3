package io.robit.spring;

import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** Where the shared test servers are, and an in-process ZooKeeper. */
final class TestServers {
    static final String POSTGRESQL = env("ROBIT_TEST_PG_URI", "postgresql://postgres@127.0.0.1:5432/test");
    static final String POSTGRESQL_JDBC = env("ROBIT_TEST_PG_JDBC", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String REDIS = env("ROBIT_TEST_REDIS_URI", "redis://127.0.0.1:6379");
    static final String ETCD = env("ROBIT_TEST_ETCD_URI", "etcd://127.0.0.1:2379");

    private TestServers() {
    }

    /** A started in-process ZooKeeper on a free loopback port; the caller closes it. */
    static TestingServer zookeeper() {
        try {
            InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 200, -1, Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
            return new TestingServer(spec, true);
        } catch (Exception e) {
            throw new IllegalStateException("could not start an in-process ZooKeeper", e);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
