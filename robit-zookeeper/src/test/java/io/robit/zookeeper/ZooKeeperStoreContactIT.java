package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Which answers count as contact with the session (the driver's own in-doubt timer counts from the
 * last one): writes and syncs, which only the quorum can answer, and never plain reads, which a
 * server cut off from its leader still answers for up to {@code syncLimit} ticks, longer than a
 * short session. Counting a read would let that timer fire after ZooKeeper could have expired the
 * session (issue 12 item 9, for leases used without the core).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZooKeeperStoreContactIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<Long> contacts = new CopyOnWriteArrayList<>();
    private CuratorFramework client;
    private ZooKeeperStore store;
    private String lockPath;

    @BeforeEach
    void connect() {
        client = ZooKeeperTestSupport.client(ZooKeeperTestSupport.shared().getConnectString(), Duration.ofSeconds(4));
        store = new ZooKeeperStore(client, ZooKeeperTestSupport.BASE_PATH, new Requests("zookeeper test"), Ticker.system(), contacts::add);
        lockPath = ZooKeeperTestSupport.BASE_PATH + "/contact-" + UUID.randomUUID();
    }

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void readsAreNoContactWritesAndSyncsAre() throws Exception {
        store.contenders("a", lockPath, TIMEOUT);
        store.exists("a", "probe", lockPath, null, TIMEOUT);
        store.read("a", "probe", lockPath, TIMEOUT);
        assertThat(contacts).as("reads of a missing node").isEmpty();

        long beforeCreate = System.nanoTime();
        ZooKeeperStore.Queued queued = store.createAndList("a", lockPath, null, TIMEOUT);
        Node node = queued.node();
        assertThat(queued.contenders()).containsExactly(node.name());
        assertThat(contacts).as("the create (not the listing sent with it)").hasSize(1);
        assertThat(contacts.get(0)).as("counted from the create's send").isGreaterThanOrEqualTo(beforeCreate);

        store.contenders("a", lockPath, TIMEOUT);
        CompletableFuture<List<String>> listed = new CompletableFuture<>();
        store.contendersInBackground("a", lockPath, event -> { }, listed::complete);
        assertThat(listed.get(10, TimeUnit.SECONDS)).containsExactly(node.name());
        store.exists("a", "probe", node.path(), null, TIMEOUT);
        store.read("a", "probe", node.path(), TIMEOUT);
        assertThat(contacts).as("reads of an existing node").hasSize(1);

        store.sync("a", "probe", node.path(), TIMEOUT);
        assertThat(contacts).as("the sync").hasSize(2);
        store.delete(node, "release", TIMEOUT);
        assertThat(contacts).as("the delete").hasSize(3);
    }
}
