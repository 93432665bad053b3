package io.robit.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code robit.*} properties: which backend to use and the defaults of every mutex the
 * starter makes ({@link RobitMutexes}, {@link Locked}, {@link RobitLockRegistry} beans).
 * Not thread-safe; bound once at startup.
 */
@ConfigurationProperties("robit")
public class RobitProperties {
    /**
     * The backend, as a Drivers.open URI: redis://host:6379, postgresql://host/db, mysql://...,
     * mariadb://..., sqlite:PATH, etcd://host:2379, zookeeper://host:2181. When unset, the lock
     * backend is built from the application's own client bean: a jetcd Client, a Curator
     * CuratorFramework, a Lettuce RedisClient or Spring Data LettuceConnectionFactory, or a
     * DataSource, in that order. A Driver bean of your own replaces all of this.
     */
    private String backend;

    /** Lease length of each lock: the backend frees a lock this long after its holder stops renewing. */
    private Duration ttl = Duration.ofSeconds(30);

    /** How often a held lock's lease is renewed. Default: a third of the ttl. */
    private Duration renewPeriod;

    /**
     * How much earlier than the backend a holder stops trusting its lease, to cover clock rate
     * differences. Default: 1% of the ttl plus 2 ms, at most 10% of the ttl.
     */
    private Duration driftMargin;

    private final Jdbc jdbc = new Jdbc();

    public String getBackend() {
        return backend;
    }

    public void setBackend(String backend) {
        this.backend = backend;
    }

    public Duration getTtl() {
        return ttl;
    }

    public void setTtl(Duration ttl) {
        this.ttl = ttl;
    }

    public Duration getRenewPeriod() {
        return renewPeriod;
    }

    public void setRenewPeriod(Duration renewPeriod) {
        this.renewPeriod = renewPeriod;
    }

    public Duration getDriftMargin() {
        return driftMargin;
    }

    public void setDriftMargin(Duration driftMargin) {
        this.driftMargin = driftMargin;
    }

    public Jdbc getJdbc() {
        return jdbc;
    }

    /** Options of the lock table when locks are kept through the application's DataSource. */
    public static class Jdbc {
        /** The lock table, optionally schema-qualified. */
        private String table = "robit_locks";

        /** Whether to create the lock table at startup when it is missing (off if your migrations create it). */
        private boolean createTable = true;

        public String getTable() {
            return table;
        }

        public void setTable(String table) {
            this.table = table;
        }

        public boolean isCreateTable() {
            return createTable;
        }

        public void setCreateTable(boolean createTable) {
            this.createTable = createTable;
        }
    }
}
