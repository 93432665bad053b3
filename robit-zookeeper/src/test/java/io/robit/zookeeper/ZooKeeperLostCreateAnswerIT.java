package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.spi.Lease;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A lock node's create whose answer is lost: Curator's protected mode finds the node again after
 * reconnecting and answers without a stat. The grant's fencing token must still be the node's
 * creation zxid, not 0 (the cluster tier found grants with token 0 there, issue 14).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZooKeeperLostCreateAnswerIT {
    private static final Duration SESSION = Duration.ofSeconds(10);
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void aGrantWhoseCreateAnswerWasLostCarriesTheNodesCreationZxid() throws Exception {
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        String id = "lost-create-answer-" + UUID.randomUUID();
        try (CreateAnswerDropper proxy = CreateAnswerDropper.to(new InetSocketAddress("127.0.0.1", ZooKeeperTestSupport.shared().getPort()));
             CuratorFramework admin = ZooKeeperTestSupport.client(connect, SESSION);
             CuratorFramework client = ZooKeeperTestSupport.client(proxy.connectString(), SESSION);
             ZooKeeperDriver driver = ZooKeeperDriver.builder(client).serverTickTime(Duration.ofMillis(ZooKeeperTestSupport.TICK_MS)).build()) {
            // The lock's own node exists first, so the next create is the contender's node alone.
            driver.release(driver.acquire(id, TTL, TIMEOUT).orElseThrow());
            String lockPath = ZooKeeperTestSupport.BASE_PATH + "/" + LockNames.escape(id);
            proxy.dropAnswerTo(lockPath + "/_c_"); // Curator's protected-mode prefix

            Lease lease = driver.acquire(id, TTL, TIMEOUT).orElseThrow();

            assertThat(proxy.awaitDropped(Duration.ZERO)).as("the create's answer was lost").isTrue();
            List<String> contenders = ZooKeeperTestSupport.contenders(admin, id);
            assertThat(contenders).as("one node: the one the create made").hasSize(1);
            Stat stat = admin.checkExists().forPath(lockPath + "/" + contenders.get(0));
            assertThat(lease.fencingToken()).as(lease.toString()).isEqualTo(stat.getCzxid()).isPositive();
            driver.release(lease);
        }
    }
}
