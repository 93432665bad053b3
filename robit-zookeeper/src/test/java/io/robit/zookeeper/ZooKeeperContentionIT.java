package io.robit.zookeeper;

import static io.robit.zookeeper.ZooKeeperTestSupport.BASE_PATH;
import static io.robit.zookeeper.ZooKeeperTestSupport.awaitContenders;
import static io.robit.zookeeper.ZooKeeperTestSupport.contenders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.DriverException;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import io.robit.tck.CuttableProxy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.drivers.AdvancedTracerDriver;
import org.apache.curator.drivers.EventTrace;
import org.apache.curator.drivers.OperationTrace;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ClientWatches;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A waiting caller's {@link ZooKeeperContention}: its node kept across calls on any thread and
 * deleted when it gives up, its watches over a long wait, and a sequence counter that wraps.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZooKeeperContentionIT {
    private static final Duration SESSION = Duration.ofSeconds(4);
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void aWaiterKeepsOneWatchOnTheNodeAheadHoweverOftenItLooksAgain() throws Exception {
        // Regression (issue 12, item 10): every recheck (5 s) registered one more exists-watch.
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        CuratorFramework admin = track(ZooKeeperTestSupport.client(connect, SESSION));
        String id = newId();
        ZooKeeperDriver holder = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(connect, SESSION))));
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        String aheadPath = lockPath(id) + "/" + contenders(admin, id).get(0);
        CuratorFramework client = track(ZooKeeperTestSupport.client(connect, SESSION));
        ZooKeeperDriver waiter = track(ZooKeeperDriver.builder(client).waitRecheck(Duration.ofMillis(20)).build());
        ZooKeeper zooKeeper = client.getZookeeperClient().getZooKeeper();

        CompletableFuture<Optional<Lease>> waited = queue(waiter, id);
        await("the waiter watches the node ahead").atMost(Duration.ofSeconds(10)).until(() -> ClientWatches.nodeWatchers(zooKeeper, aheadPath) >= 1);
        await("still one watch after dozens of rechecks").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> ClientWatches.nodeWatchers(zooKeeper, aheadPath) == 1);

        holder.release(held);
        Lease next = waited.get(10, TimeUnit.SECONDS).orElseThrow();
        assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
        assertThat(ClientWatches.nodeWatchers(zooKeeper, aheadPath)).as("the watch fired and is gone").isZero();
        waiter.release(next);
    }

    @Test
    void aContentionKeepsItsNodeAcrossThreadsAndTakesItAsTheLockOnceFirst() throws Exception {
        // No thread-keyed state: the attempt, the wait and the winning attempt each run on a
        // different thread, and the lease is the very node the first attempt queued.
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        CuratorFramework admin = track(ZooKeeperTestSupport.client(connect, SESSION));
        String id = newId();
        ZooKeeperDriver holder = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(connect, SESSION))));
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        ZooKeeperDriver waiter = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(connect, SESSION))));
        Contention contention = waiter.contend(id, TTL, TIMEOUT);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            assertThat(threads.submit(contention::tryAcquire).get(10, TimeUnit.SECONDS)).isEmpty();
            awaitContenders(admin, id, 2);
            String queuedNode = contenders(admin, id).get(1);
            long queuedCzxid = admin.checkExists().forPath(lockPath(id) + "/" + queuedNode).getCzxid();

            Future<?> waited = threads.submit(() -> {
                contention.awaitRelease(Duration.ofSeconds(30));
                return null;
            });
            holder.release(held);
            waited.get(30, TimeUnit.SECONDS);
            Lease lease = threads.submit(contention::tryAcquire).get(10, TimeUnit.SECONDS).orElseThrow();
            assertThat(lease.fencingToken()).as("the node queued on the first thread is the lock").isEqualTo(queuedCzxid);
            assertThat(contenders(admin, id)).containsExactly(queuedNode);
            contention.close();
            assertThat(contenders(admin, id)).as("closing never gives back a granted lease").containsExactly(queuedNode);
            waiter.release(lease);
            awaitContenders(admin, id, 0);
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Long tier of the fault suite (issue 13): a waiter whose wait had found its node first was
     * paused past its session timeout; on waking it still had the old session id and took the node
     * as the lock without a request, though ZooKeeper had expired the session and deleted the node:
     * a grant with an old fencing token, below tokens granted meanwhile. A queued node is taken
     * only as far as the last proof of its session reaches; past that, the session is proved again,
     * and an unreachable server fails the attempt instead of granting it.
     */
    @Test
    void aQueuedNodeFoundFirstLongAgoIsNotTakenWithoutProvingItsSession() throws Exception {
        TestingServer server = ZooKeeperTestSupport.shared();
        CuratorFramework admin = track(ZooKeeperTestSupport.client(server.getConnectString(), SESSION));
        String id = newId();
        ZooKeeperDriver holder = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(server.getConnectString(), SESSION))));
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        CuttableProxy proxy = track(CuttableProxy.to(new InetSocketAddress("127.0.0.1", server.getPort())));
        String viaProxy = "127.0.0.1:" + proxy.address().getPort();
        ZooKeeperDriver waiter = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(viaProxy, SESSION))));
        Contention contention = track(waiter.contend(id, TTL, TIMEOUT));
        assertThat(contention.tryAcquire()).as("queued behind the holder").isEmpty();
        awaitContenders(admin, id, 2);
        CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> {
            try {
                contention.awaitRelease(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        holder.release(held);
        waited.get(30, TimeUnit.SECONDS); // our node is first in line now

        proxy.cut(); // as a paused process: nothing reaches the server any more
        // Let the last proof of the waiter's session (its create) age past two thirds of what the
        // session guarantees (2/3 of 4 s less a tick): a real pause, not a tight bound.
        TimeUnit.MILLISECONDS.sleep(2_500);
        assertThatThrownBy(contention::tryAcquire).as("taking the node with no proof that its session lives")
                .isInstanceOf(DriverException.class).hasMessageContaining("confirmation of the session");
    }

    @Test
    void aWaiterGrantedFromAnUnchangedQueueWatchesItsNodeWithoutARequest() throws Exception {
        // Issue 18 item 5: the listing that finds a queued node first leaves a child watch on the lock's
        // node, which becomes the holder's watch; only a change of the queue costs an exists-watch.
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        CuratorFramework admin = track(ZooKeeperTestSupport.client(connect, SESSION));
        ZooKeeperDriver holder = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(connect, SESSION))));
        CuratorFramework client = track(ZooKeeperTestSupport.client(connect, SESSION));
        List<String> traced = new CopyOnWriteArrayList<>();
        client.getZookeeperClient().setTracerDriver(new AdvancedTracerDriver() {
            @Override
            public void addTrace(OperationTrace trace) {
                traced.add(trace.getName() + " " + trace.getPath());
            }

            @Override
            public void addEvent(EventTrace trace) {
            }
        });
        ZooKeeperDriver waiter = track(ZooKeeperDriver.create(client));

        for (boolean queueChanges : new boolean[] {false, true}) {
            String id = newId();
            Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
            String ahead = lockPath(id) + "/" + contenders(admin, id).get(0);
            Contention contention = waiter.contend(id, TTL, TIMEOUT);
            assertThat(contention.tryAcquire()).isEmpty();
            String mine = lockPath(id) + "/" + contenders(admin, id).get(1);
            CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> {
                try {
                    contention.awaitRelease(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            ZooKeeper zooKeeper = client.getZookeeperClient().getZooKeeper();
            await("the waiter watches the node ahead").atMost(Duration.ofSeconds(10)).until(() -> ClientWatches.nodeWatchers(zooKeeper, ahead) >= 1);
            // A fresh proof that the waiter's session lives (a write the server answered), as a
            // driver in use has: taking its queued node then needs no sync.
            waiter.release(waiter.acquire(newId(), TTL, TIMEOUT).orElseThrow());
            traced.clear();
            holder.release(held);
            waited.get(30, TimeUnit.SECONDS);
            Lease lease = contention.tryAcquire().orElseThrow();
            assertThat(traced).as("one listing when the node ahead went, nothing more").containsExactly(
                    "GetChildrenBuilderImpl-Background " + lockPath(id));
            if (queueChanges) {
                Lease rival = holder.acquire(id, TTL, TIMEOUT).orElse(null); // queues behind us, then gives its node up
                assertThat(rival).isNull();
                await("a changed queue hands over to an exists-watch on our node").atMost(Duration.ofSeconds(10))
                        .until(() -> traced.contains("ExistsBuilderImpl-Background " + mine));
            }
            ZooKeeperTestSupport.deleteHolderNode(admin, id);
            await("the holder is told its node was deleted, without a refresh").atMost(Duration.ofSeconds(10)).until(() -> lease.lost().isDone());
            assertThat(lease.lost()).isCompletedExceptionally();
            contention.close();
            waiter.release(lease);
        }
    }

    @Test
    void closingAContentionThatWasNotGrantedDeletesItsNode() throws Exception {
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        CuratorFramework admin = track(ZooKeeperTestSupport.client(connect, SESSION));
        String id = newId();
        ZooKeeperDriver holder = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(connect, SESSION))));
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        ZooKeeperDriver waiter = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(connect, SESSION))));

        Contention contention = waiter.contend(id, TTL, TIMEOUT);
        assertThat(contention.tryAcquire()).isEmpty();
        contention.awaitRelease(Duration.ofMillis(200));
        assertThat(contention.tryAcquire()).isEmpty();
        assertThat(contenders(admin, id)).as("one node kept across the attempts and the wait").hasSize(2);
        contention.close();
        awaitContenders(admin, id, 1);

        Contention firstInLine = waiter.contend(id, TTL, TIMEOUT);
        assertThat(firstInLine.tryAcquire()).isEmpty();
        holder.release(held);
        firstInLine.awaitRelease(Duration.ofSeconds(30));
        firstInLine.close(); // first in line, but given up before its attempt: the lock must not stay taken
        awaitContenders(admin, id, 0);
        assertThat(holder.acquire(id, TTL, TIMEOUT)).isPresent().get().satisfies(holder::release);
    }

    @Test
    void aWaitThatGivesUpLeavesNoWatchBehind() throws Exception {
        // Repeated short waits (tryLock(1s) in a loop) on a long hold must not pile up watches on its node.
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        CuratorFramework admin = track(ZooKeeperTestSupport.client(connect, SESSION));
        String id = newId();
        ZooKeeperDriver holder = track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(connect, SESSION))));
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        String aheadPath = lockPath(id) + "/" + contenders(admin, id).get(0);
        CuratorFramework client = track(ZooKeeperTestSupport.client(connect, SESSION));
        ZooKeeperDriver waiter = track(ZooKeeperDriver.create(client));
        ZooKeeper zooKeeper = client.getZookeeperClient().getZooKeeper();

        for (int i = 0; i < 3; i++) {
            waiter.awaitRelease(id, Duration.ofMillis(300));
        }
        await("no watch left by the waits that gave up").atMost(Duration.ofSeconds(10))
                .until(() -> ClientWatches.nodeWatchers(zooKeeper, aheadPath) == 0);
        holder.release(held);
    }

    @Test
    void aWatchOnANodeAheadThatIsAlreadyGoneIsNotLeftBehind() throws Exception {
        // The node ahead can go between the listing and the watch; an exists-watch on a missing
        // path waits for a creation that never comes, for as long as the session lasts.
        String connect = ZooKeeperTestSupport.shared().getConnectString();
        CuratorFramework client = track(ZooKeeperTestSupport.client(connect, SESSION));
        ZooKeeperDriver driver = track(ZooKeeperDriver.create(client));
        ZooKeeper zooKeeper = client.getZookeeperClient().getZooKeeper();
        String gone = lockPath(newId()) + "/lock-0000000001";
        String alsoGone = lockPath(newId()) + "/lock-0000000001";

        assertThat(driver.context().store().exists("x", "test", alsoGone, event -> { }, TIMEOUT)).isNull();
        assertThat(ClientWatches.nodeWatchers(zooKeeper, alsoGone)).as("what a plain exists-watch leaves").isEqualTo(1);

        assertThat(driver.context().store().watchIfExists("x", "test", gone, event -> { }, TIMEOUT)).isFalse();
        await("the watch is removed again").atMost(Duration.ofSeconds(10)).until(() -> ClientWatches.nodeWatchers(zooKeeper, gone) == 0);
    }

    @Test
    void sequenceNumbersThatWrapQueueInTheOrderTheNodesWereCreated() throws Exception {
        // Regression (issue 12, item 10): a node numbered after the counter wrapped ("lock--2147483648")
        // was not taken for a contender: a single attempt failed, and a waiter re-queued in a tight
        // loop, leaving a node behind each time.
        assertQueueOrderAcrossTheTopOfTheCounter(true);
    }

    @Test
    void sequenceNumbersRepeatedAtTheTopOfTheCounterQueueInTheOrderTheNodesWereCreated() throws Exception {
        // A ZooKeeper 3.9 server keeps the counter at 2147483647 once there: every later node gets
        // that number, and only the creation order (czxid) says who is first.
        assertQueueOrderAcrossTheTopOfTheCounter(false);
    }

    private void assertQueueOrderAcrossTheTopOfTheCounter(boolean wrap) throws Exception {
        DirectServer server = track(new DirectServer());
        CuratorFramework admin = track(ZooKeeperTestSupport.client(server.connectString(), SESSION));
        String id = newId();
        admin.create().creatingParentsIfNeeded().forPath(lockPath(id));
        server.setNextSequence(lockPath(id), Integer.MAX_VALUE - 1);
        ZooKeeperDriver holder = newDriver(server);
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        assertThat(sequences(admin, id)).containsExactly((long) Integer.MAX_VALUE - 1);

        ZooKeeperDriver first = newDriver(server);
        CompletableFuture<Optional<Lease>> firstWaited = queue(first, id);
        awaitContenders(admin, id, 2);
        assertThat(sequences(admin, id)).contains((long) Integer.MAX_VALUE);
        if (wrap) {
            // As a server numbers creates that come faster than it applies them.
            server.setNextSequence(lockPath(id), Integer.MIN_VALUE);
        }

        ZooKeeperDriver rival = newDriver(server);
        assertThat(rival.acquire(id, TTL, TIMEOUT)).as("a single attempt from after the top of the counter is simply not first").isEmpty();
        awaitContenders(admin, id, 2);

        ZooKeeperDriver second = newDriver(server);
        CompletableFuture<Optional<Lease>> secondWaited = queue(second, id);
        awaitContenders(admin, id, 3);
        if (wrap) {
            assertThat(sequences(admin, id)).as("the third node is numbered after the wrap").anyMatch(sequence -> sequence < 0);
        } else {
            assertThat(sequences(admin, id)).as("the third node repeats the top number").filteredOn(sequence -> sequence == Integer.MAX_VALUE).hasSize(2);
        }
        await("no node left behind while waiting").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> admin.getChildren().forPath(lockPath(id)).size() == 3);

        holder.release(held);
        Lease firstLease = firstWaited.get(10, TimeUnit.SECONDS).orElseThrow();
        assertThat(firstLease.fencingToken()).isGreaterThan(held.fencingToken());
        assertThat(secondWaited).as("the later node is still behind").isNotDone();
        assertThat(rival.acquire(id, TTL, TIMEOUT)).isEmpty();
        first.release(firstLease);
        Lease secondLease = secondWaited.get(10, TimeUnit.SECONDS).orElseThrow();
        assertThat(secondLease.fencingToken()).isGreaterThan(firstLease.fencingToken());
        second.release(secondLease);
        awaitContenders(admin, id, 0);
    }

    private static List<Long> sequences(CuratorFramework admin, String id) throws Exception {
        return contenders(admin, id).stream().map(LockNames::sequenceOf).toList();
    }

    /** Contends on another thread, as the core does for lock(): attempts and waits until it gets the lease. */
    private static CompletableFuture<Optional<Lease>> queue(ZooKeeperDriver driver, String id) {
        return CompletableFuture.supplyAsync(() -> {
            try (Contention contention = driver.contend(id, TTL, TIMEOUT)) {
                Optional<Lease> lease = contention.tryAcquire();
                while (lease.isEmpty()) {
                    contention.awaitRelease(Duration.ofSeconds(60));
                    lease = contention.tryAcquire();
                }
                return lease;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private ZooKeeperDriver newDriver(DirectServer server) {
        return track(ZooKeeperDriver.create(track(ZooKeeperTestSupport.client(server.connectString(), SESSION))));
    }

    private static String lockPath(String id) {
        return BASE_PATH + "/" + LockNames.escape(id);
    }

    private static String newId() {
        return "it-" + UUID.randomUUID();
    }

    private <T extends AutoCloseable> T track(T resource) {
        toClose.add(resource);
        return resource;
    }
}
