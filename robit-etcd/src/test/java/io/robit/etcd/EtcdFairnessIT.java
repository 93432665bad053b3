package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.LockInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fair contention on etcd (issue 18, item 4), as the lock's waiter queue shows it: waiters are served
 * in arrival order, a caller that stops waiting leaves the queue, a crashed waiter's place goes with
 * its lease, and neither {@code tryLock()} nor a waiting call keeps a free lock taken ahead of a
 * waiter. The promise itself (a newcomer served within a few hand-overs, a re-locking releaser
 * behind the waiter) is the TCK's {@link io.robit.tck.FairnessContract}, which
 * {@link EtcdConformanceIT} runs.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EtcdFairnessIT {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration SLACK = Duration.ofSeconds(30);

    @Test
    void waitersOfTwoDriversGetTheLockInArrivalOrder() throws Exception {
        String id = EtcdTestSupport.newLockId("fair-order");
        int waiters = 6;
        ExecutorService threads = Executors.newFixedThreadPool(waiters);
        try (EtcdDriver a = EtcdTestSupport.newDriver(); EtcdDriver b = EtcdTestSupport.newDriver()) {
            Held held = Mutex.of(id, TTL, a).lock();
            List<Integer> order = new CopyOnWriteArrayList<>();
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < waiters; w++) {
                int self = w;
                Mutex<String> mutex = Mutex.of(id, TTL, w % 2 == 0 ? a : b);
                running.add(threads.submit(() -> {
                    try (Held mine = mutex.lock()) {
                        order.add(self);
                    }
                    return null;
                }));
                // The next waiter arrives only once this one has its place.
                await("waiter " + w + " queued").atMost(SLACK).until(() -> places(id).size() == self + 1);
            }
            assertThat(a.list()).as("places are not locks").extracting(LockInfo::name).filteredOn(name -> name.startsWith(id))
                    .containsExactly(id);
            held.close();
            for (Future<?> waiter : running) {
                waiter.get(SLACK.toSeconds(), TimeUnit.SECONDS);
            }
            assertThat(order).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(places(id)).as("every waiter left the queue").isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aWaiterThatStopsWaitingLeavesTheQueueAndTheNextOneIsServed() throws Exception {
        String id = EtcdTestSupport.newLockId("fair-leave");
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (EtcdDriver holder = EtcdTestSupport.newDriver(); EtcdDriver waiter = EtcdTestSupport.newDriver()) {
            Held held = Mutex.of(id, TTL, holder).lock();
            // Interrupted while waiting.
            Future<?> interrupted = threads.submit(() -> Mutex.of(id, TTL, waiter).lock());
            await("the waiter queued").atMost(SLACK).until(() -> places(id).size() == 1);
            interrupted.cancel(true);
            await("the interrupted waiter's place deleted").atMost(SLACK).until(() -> places(id).isEmpty());
            // Cancelled while waiting asynchronously.
            CompletableFuture<Held> cancelled = Mutex.of(id, TTL, waiter).lockAsync();
            await("the asynchronous waiter queued").atMost(SLACK).until(() -> places(id).size() == 1);
            cancelled.cancel(true);
            await("the cancelled waiter's place deleted").atMost(SLACK).until(() -> places(id).isEmpty());
            // Timed out.
            assertThat(Mutex.of(id, TTL, waiter).tryLock(Duration.ofMillis(500))).isEmpty();
            await("the timed-out waiter's place deleted").atMost(SLACK).until(() -> places(id).isEmpty());
            // A waiter behind one that gives up is served when the lock is released.
            CompletableFuture<Held> givesUp = Mutex.of(id, TTL, waiter).lockAsync();
            await("the first waiter queued").atMost(SLACK).until(() -> places(id).size() == 1);
            CompletableFuture<Held> next = Mutex.of(id, TTL, holder).lockAsync();
            await("the second waiter queued").atMost(SLACK).until(() -> places(id).size() == 2);
            givesUp.cancel(true);
            await("the first waiter left").atMost(SLACK).until(() -> places(id).size() == 1);
            held.close();
            next.get(SLACK.toSeconds(), TimeUnit.SECONDS).close();
            assertThat(places(id)).isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aCrashedWaitersPlaceGoesWithItsLeaseAndALiveWaiterWhosePlaceVanishedQueuesAgain() throws Exception {
        String id = EtcdTestSupport.newLockId("fair-crash");
        try (EtcdDriver holder = EtcdTestSupport.newDriver(); EtcdDriver live = EtcdTestSupport.newDriver()) {
            Held held = Mutex.of(id, TTL, holder).lock();
            EtcdDriver crashing = EtcdTestSupport.newDriver();
            CompletableFuture<Held> crashed = Mutex.of(id, TTL, crashing).lockAsync();
            await("the crashing waiter queued").atMost(SLACK).until(() -> places(id).size() == 1);
            CompletableFuture<Held> behind = Mutex.of(id, TTL, live).lockAsync();
            await("the live waiter queued behind it").atMost(SLACK).until(() -> places(id).size() == 2);
            long crashedLease = places(id).get(0).getLease();
            long liveLease = places(id).get(1).getLease();
            // The process dies: its lease ends (revoked here rather than waiting out the ttl).
            crashing.close();
            EtcdTestSupport.admin().getLeaseClient().revoke(crashedLease).get(10, TimeUnit.SECONDS);
            await("the crashed waiter's place went with its lease").atMost(SLACK)
                    .until(() -> places(id).stream().noneMatch(kv -> kv.getLease() == crashedLease));
            // The live waiter's place vanishes too (its lease dropped): it queues again, on a new lease.
            EtcdTestSupport.admin().getLeaseClient().revoke(liveLease).get(10, TimeUnit.SECONDS);
            held.close();
            Held got = behind.get(SLACK.toSeconds(), TimeUnit.SECONDS);
            assertThat(EtcdTestSupport.keyValue(id).getLease()).as("held on a fresh lease").isNotEqualTo(liveLease);
            got.close();
            crashed.cancel(true);
            assertThat(places(id)).isEmpty();
        }
    }

    @Test
    void tryLockDoesNotTakeAFreeLockAheadOfAWaiter() throws Exception {
        String id = EtcdTestSupport.newLockId("fair-trylock");
        try (EtcdDriver driver = EtcdTestSupport.newDriver()) {
            Mutex<String> mutex = Mutex.of(id, TTL, driver);
            // Another process's waiter, as its driver writes it (no lease here: it stays until deleted).
            ByteSequence place = WaitQueue.prefix(EtcdTestSupport.key(id)).concat(ByteSequence.from(new byte[] {'x'}));
            EtcdTestSupport.admin().getKVClient().put(place, ByteSequence.from(new byte[] {'w'})).get(10, TimeUnit.SECONDS);
            try {
                assertThat(mutex.tryLock()).as("the lock is free, but someone waits").isEmpty();
                // A fresh driver takes a free lock without reading the queue first, and gives it back.
                assertThat(EtcdTestSupport.keyValue(id)).as("the key taken while someone waited, given back").isNull();
                assertThat(mutex.tryLock(Duration.ofMillis(300))).as("a waiting call queues behind").isEmpty();
            } finally {
                EtcdTestSupport.admin().getKVClient().delete(place).get(10, TimeUnit.SECONDS);
            }
            // Control: with nobody queued the same call takes it.
            Held held = mutex.tryLock().orElseThrow();
            held.close();
        }
    }

    @Test
    void aWaitingCallThatTookAFreeLockAheadOfAWaiterGivesItBackAndQueuesBehind() throws Exception {
        String id = EtcdTestSupport.newLockId("fair-give-back");
        try (EtcdDriver driver = EtcdTestSupport.newDriver()) {
            warm(driver);
            // Another process's waiter (no lease: it stays until deleted); this driver has not seen it.
            ByteSequence place = WaitQueue.prefix(EtcdTestSupport.key(id)).concat(ByteSequence.from(new byte[] {'x'}));
            EtcdTestSupport.admin().getKVClient().put(place, ByteSequence.from(new byte[] {'w'})).get(10, TimeUnit.SECONDS);
            CompletableFuture<Held> waiter;
            try {
                waiter = Mutex.of(id, TTL, driver).lockAsync();
                await("the call queued behind the waiter").atMost(SLACK).until(() -> places(id).size() == 2);
                assertThat(places(id).get(0).getKey()).as("the older place stays first").isEqualTo(place);
                assertThat(EtcdTestSupport.keyValue(id)).as("the key taken while someone waited, given back").isNull();
                assertThat(waiter).as("not served ahead of the waiter").isNotDone();
            } finally {
                EtcdTestSupport.admin().getKVClient().delete(place).get(10, TimeUnit.SECONDS);
            }
            Held held = waiter.get(SLACK.toSeconds(), TimeUnit.SECONDS);
            assertThat(places(id)).as("the call left the queue when it took the lock").isEmpty();
            held.close();
        }
    }

    /**
     * Connects {@code driver} and has its first lease granted, retried: at load 80 a cold client's first
     * grant has taken longer than its bound (issue 18 item 6), which is not what these tests are about.
     */
    private static void warm(EtcdDriver driver) {
        await("a first lock on a fresh driver").atMost(SLACK).ignoreExceptions().until(() -> {
            Mutex.of(EtcdTestSupport.newLockId("warm"), TTL, driver).tryLock().ifPresent(Held::close);
            return true;
        });
    }

    /** The places in {@code id}'s waiter queue, oldest first. */
    private static List<KeyValue> places(String id) throws Exception {
        ByteSequence prefix = WaitQueue.prefix(EtcdTestSupport.key(id));
        GetOption option = GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(GetOption.SortOrder.ASCEND).build();
        return EtcdTestSupport.admin().getKVClient().get(prefix, option).get(10, TimeUnit.SECONDS).getKvs();
    }
}
