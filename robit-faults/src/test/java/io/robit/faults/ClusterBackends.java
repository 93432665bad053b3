package io.robit.faults;

import io.robit.testsupport.EtcdCluster;
import io.robit.testsupport.RedisCluster;
import io.robit.testsupport.RedisSentinelGroup;
import io.robit.testsupport.RedisServer;
import io.robit.testsupport.ZooKeeperEnsemble;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The backends of the cluster tier (issue 14): three etcd members, a three-server ZooKeeper ensemble,
 * and a Redis master with a replica and three Sentinels, all of the suite's own on free loopback
 * ports. Server faults go to the leader/master of the moment: pause (SIGSTOP), kill and restart;
 * on etcd and ZooKeeper also a cut of the leader or of a follower from its peers (its clients stay
 * connected to it). The fault proxy sits in front of the first member's client port; the workers'
 * URIs name it and the other members directly.
 */
final class ClusterBackends {
    private ClusterBackends() {
    }

    /** Three etcd members; ttl should cover a leader change (election timeout 2.5 s). */
    static Backend etcd() throws IOException, InterruptedException {
        EtcdCluster cluster = EtcdCluster.start();
        Members members = new Members() {
            @Override
            public int leader() throws IOException, InterruptedException {
                return cluster.awaitLeader();
            }

            @Override
            public long pid(int member) {
                return cluster.pid(member);
            }

            @Override
            public void kill(int member) throws InterruptedException {
                cluster.kill(member);
            }

            @Override
            public void restart(int member) throws IOException {
                cluster.restart(member);
            }

            @Override
            public void cut(int member) {
                cluster.cut(member);
            }

            @Override
            public void heal() {
                cluster.heal();
            }

            @Override
            public void close() {
                cluster.close();
            }
        };
        return backend("etcd-cluster", new LeaderServer(members), cluster.clientPort(0),
                port -> "etcd://127.0.0.1:" + port + ",127.0.0.1:" + cluster.clientPort(1) + ",127.0.0.1:" + cluster.clientPort(2) + "?timeout=2s");
    }

    /** Three ZooKeeper servers (tick 1 s); the workers ask for a 4 s session and tell the driver the tick. */
    static Backend zookeeper() throws IOException, InterruptedException {
        ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.startLinked();
        Members members = new Members() {
            @Override
            public int leader() throws IOException, InterruptedException {
                return ensemble.awaitLeader();
            }

            @Override
            public long pid(int member) {
                return ensemble.pid(member);
            }

            @Override
            public void kill(int member) throws InterruptedException {
                ensemble.kill(member);
            }

            @Override
            public void restart(int member) throws IOException {
                ensemble.restart(member);
            }

            @Override
            public void cut(int member) {
                ensemble.cut(member);
            }

            @Override
            public void heal() {
                ensemble.heal();
            }

            @Override
            public void close() {
                ensemble.close();
            }
        };
        return backend("zookeeper-ensemble", new LeaderServer(members), ensemble.clientPort(0),
                port -> "zookeeper://127.0.0.1:" + port + ",127.0.0.1:" + ensemble.clientPort(1) + ",127.0.0.1:" + ensemble.clientPort(2)
                        + "?sessionTimeout=4s&connectionTimeout=4s&tickTime=1s");
    }

    /**
     * A master, a replica and three Sentinels, with the driver's default replica acknowledgement. The
     * workers find the master through the Sentinels, so no proxy (no network faults); the master of
     * the moment is paused or killed. A killed master keeps no data, so it is started again only once
     * Sentinel has promoted the replica (bounded): it comes back empty, as a replica (see
     * {@link RedisClusterServer} for why).
     */
    static Backend redisSentinel() throws IOException, InterruptedException {
        RedisSentinelGroup group = RedisSentinelGroup.start();
        Backend.Server master = new Backend.Server() {
            private volatile RedisServer killed;

            private RedisServer current() {
                try {
                    return group.server(group.currentMasterPort());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while asking Sentinel for the master", e);
                }
            }

            @Override
            public long pid() {
                return current().pid();
            }

            @Override
            public String describe() {
                return "master :" + current().port() + " ";
            }

            @Override
            public void start() throws IOException {
                if (killed != null) {
                    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                    try {
                        while (group.currentMasterPort() == killed.port() && System.nanoTime() < deadline) {
                            java.util.concurrent.TimeUnit.MILLISECONDS.sleep(250);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    killed.startAgain();
                    killed = null;
                }
            }

            @Override
            public void kill() {
                killed = current();
                killed.stop();
            }

            @Override
            public void close() {
                group.close();
            }
        };
        return new Backend() {
            @Override
            public String name() {
                return "redis-sentinel";
            }

            @Override
            public OptionalInt port() {
                return OptionalInt.empty();
            }

            @Override
            public String uri(int port) {
                return group.uri();
            }

            @Override
            public Optional<Server> server() {
                return Optional.of(master);
            }
        };
    }

    /**
     * Redis Cluster, three masters with a replica each (node timeout 5 s), with the driver's default
     * replica acknowledgement. Lettuce follows the cluster's own view of its nodes, so no proxy (no
     * network faults); the master serving one of the run's lock names is paused or killed
     * ({@link RedisClusterServer}).
     */
    static Backend redisCluster() throws IOException, InterruptedException {
        RedisCluster cluster = RedisCluster.start(1);
        Backend.Server server = new RedisClusterServer(cluster);
        return new Backend() {
            @Override
            public String name() {
                return "redis-cluster";
            }

            @Override
            public OptionalInt port() {
                return OptionalInt.empty();
            }

            @Override
            public String uri(int port) {
                return cluster.uri();
            }

            @Override
            public Optional<Server> server() {
                return Optional.of(server);
            }
        };
    }

    private static Backend backend(String name, Backend.Server server, int proxiedPort, java.util.function.IntFunction<String> uri) {
        return new Backend() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public OptionalInt port() {
                return OptionalInt.of(proxiedPort);
            }

            @Override
            public String uri(int port) {
                return uri.apply(port);
            }

            @Override
            public Optional<Server> server() {
                return Optional.of(server);
            }
        };
    }

    /** The members of an etcd or ZooKeeper cluster, by index. */
    interface Members {
        int leader() throws IOException, InterruptedException;

        long pid(int member);

        void kill(int member) throws InterruptedException;

        void restart(int member) throws IOException;

        void cut(int member);

        void heal();

        void close();
    }

    /** Server faults on the leader of the moment; a cut goes to the leader or to the member after it. */
    private static final class LeaderServer implements Backend.Server {
        private final Members members;
        private volatile int killed = -1;

        LeaderServer(Members members) {
            this.members = members;
        }

        private int leader() {
            try {
                return members.leader();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while looking for the leader", e);
            }
        }

        @Override
        public long pid() {
            return members.pid(leader());
        }

        @Override
        public String describe() {
            return "leader m" + leader() + " ";
        }

        @Override
        public boolean canCut() {
            return true;
        }

        @Override
        public String cut(boolean leader) {
            int member = leader ? leader() : (leader() + 1) % 3;
            members.cut(member);
            return (leader ? "leader m" : "follower m") + member;
        }

        @Override
        public void heal() {
            members.heal();
        }

        @Override
        public void start() throws IOException {
            if (killed >= 0) {
                members.restart(killed);
                killed = -1;
            }
        }

        @Override
        public void kill() throws InterruptedException {
            killed = leader();
            members.kill(killed);
        }

        @Override
        public void close() {
            members.close();
        }
    }
}
