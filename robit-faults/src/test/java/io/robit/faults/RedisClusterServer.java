package io.robit.faults;

import io.lettuce.core.cluster.SlotHash;
import io.robit.redis.RedisDriver;
import io.robit.testsupport.RedisCluster;
import io.robit.testsupport.RedisServer;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The server faults of a Redis Cluster run (issue 14): each fault goes to the master that serves,
 * at that moment, the slot of one of the run's lock names (the names taken in turn, so every shard
 * that serves the run is faulted). A killed master, which keeps no data, is started again only once
 * its replica has taken its slots over (bounded): a master without persistence that comes back
 * before its failover comes back empty and takes its replica's data with it, which Redis's own
 * documentation rules out, and which is a persistence setting, not the failover measured here.
 * Used by the one fault thread of the run.
 */
final class RedisClusterServer implements Backend.Server {
    private static final long FAILOVER_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final RedisCluster cluster;
    private volatile List<String> names = List.of();
    private int turn;
    private RedisServer target;
    private RedisServer killed;
    private int killedSlot;

    RedisClusterServer(RedisCluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public void lockNames(List<String> names) {
        this.names = List.copyOf(names);
    }

    /** Picks the next target: the master serving the next lock name's slot now. */
    @Override
    public String describe() {
        String name = names.isEmpty() ? "robit-faults" : names.get(turn++ % names.size());
        int slot = SlotHash.getSlot(RedisDriver.DEFAULT_KEY_PREFIX + "{" + name + "}");
        int port = masterOf(slot, -1);
        target = node(port);
        killedSlot = slot;
        return "master :" + port + " (slot " + slot + ") ";
    }

    private RedisServer target() {
        if (target == null) {
            describe();
        }
        return target;
    }

    @Override
    public long pid() {
        return target().pid();
    }

    @Override
    public void kill() {
        killed = target();
        killed.stop();
    }

    @Override
    public void start() throws IOException {
        if (killed == null) {
            return;
        }
        long deadline = System.nanoTime() + FAILOVER_WAIT_NANOS;
        try {
            while (masterOf(killedSlot, killed.port()) <= 0 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        killed.startAgain();
        killed = null;
    }

    @Override
    public void close() {
        cluster.close();
    }

    private RedisServer node(int port) {
        return cluster.nodes().stream().filter(n -> n.port() == port).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node of the cluster on port " + port));
    }

    /**
     * The port of the master, other than {@code except}, that a live node says serves {@code slot}
     * and is not marked failed; 0 if none does (yet).
     */
    private int masterOf(int slot, int except) {
        for (RedisServer node : cluster.nodes()) {
            if (node == killed) {
                continue;
            }
            try {
                int port = ClusterNodes.masterOf(RedisServer.cli(node.port(), List.of("cluster", "nodes")), slot);
                if (port > 0) {
                    return port == except ? 0 : port;
                }
            } catch (IOException e) {
                // this node does not answer: ask the next one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while asking the cluster for the master of slot " + slot, e);
            }
        }
        return 0;
    }
}
