package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fair contention on etcd (issue 18, item 4): waiters are served in arrival order through the lock's
 * waiter queue, a caller that stops waiting leaves it, a crashed waiter's place goes with its lease,
 * and neither a re-locking releaser nor {@code tryLock()} takes a free lock ahead of a waiter.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EtcdFairnessIT {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration SLACK = Duration.ofSeconds(30);
    private static final int GREEDY = 3;
    private static final int ROUNDS = 10;
    private static final int RACES = 8;
    /**
     * Once queued, a newcomer waits in arrival order for the holder and at most the {@value #GREEDY}
     * looping clients queued before it: at most {@value #GREEDY} + 1 hand-overs; twice that as margin.
     * Without the queue (main at 3f76d9f) the releasing client re-took the lock ahead of waiters ~96%
     * of the time (EtcdLockBench).
     */
    private static final int MOST_HANDOVERS = 2 * (GREEDY + 1);

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
    void aNewcomerGetsTheLockWithinAFewHandOversWhileOthersLoop() throws Exception {
        String id = EtcdTestSupport.newLockId("fair-newcomer");
        List<EtcdDriver> drivers = new ArrayList<>();
        ExecutorService loops = Executors.newFixedThreadPool(GREEDY);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong greedyAcquisitions = new AtomicLong();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < GREEDY; c++) {
                Mutex<String> mutex = Mutex.of(id, TTL, open(drivers));
                running.add(loops.submit(() -> {
                    while (!stop.get()) {
                        try (Held held = mutex.lock()) {
                            greedyAcquisitions.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            // Counted from the newcomer's first attempt's answer (its place is in the queue by then),
            // not from its lock() call: a thread descheduled before sending would count the loops' turns.
            AtomicLong queuedAt = new AtomicLong(-1);
            Mutex<String> newcomer = Mutex.of(id, TTL, new MarksFirstAttempt(open(drivers), () -> queuedAt.compareAndSet(-1, greedyAcquisitions.get())));
            List<Long> waits = new ArrayList<>();
            for (int round = -1; round < ROUNDS; round++) { // round -1 warms the newcomer's client up
                long atLeast = greedyAcquisitions.get() + 20;
                await("the loops are going, so the newcomer meets contention").atMost(Duration.ofSeconds(60))
                        .until(() -> greedyAcquisitions.get() >= atLeast || running.stream().anyMatch(Future::isDone));
                assertThat(running).as("no loop failed").noneMatch(Future::isDone);
                queuedAt.set(-1);
                try (Held held = newcomer.lock()) {
                    if (round >= 0 && queuedAt.get() >= 0) {
                        waits.add(greedyAcquisitions.get() - queuedAt.get());
                    }
                }
            }
            stop.set(true);
            for (Future<?> loop : running) {
                loop.get(60, TimeUnit.SECONDS); // no loop failed
            }
            assertThat(waits).as("acquisitions by the %d looping clients while the newcomer waited, per round", GREEDY)
                    .allSatisfy(handovers -> assertThat(handovers).isLessThanOrEqualTo(MOST_HANDOVERS));
        } finally {
            stop.set(true);
            loops.shutdownNow();
            drivers.forEach(EtcdDriver::close);
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

    @Test
    void aReleaserThatLocksAgainQueuesBehindTheWaiter() throws Exception {
        String id = EtcdTestSupport.newLockId("fair-releaser");
        try (EtcdDriver first = EtcdTestSupport.newDriver(); EtcdDriver second = EtcdTestSupport.newDriver()) {
            warm(first);
            warm(second);
            Mutex<String> releaser = Mutex.of(id, TTL, first);
            List<Integer> retaken = new ArrayList<>();
            // Several races, each with a waiter that has certainly asked: one race alone is won by the
            // waiter now and then even without a queue (the first driver's release and re-lock race its watch).
            for (int race = 0; race < RACES; race++) {
                Held held = releaser.lock();
                CountDownLatch refused = new CountDownLatch(1);
                CompletableFuture<Held> waiter = Mutex.of(id, TTL, new MarksFirstAttempt(second, refused::countDown)).lockAsync();
                assertThat(refused.await(SLACK.toSeconds(), TimeUnit.SECONDS)).as("the waiter's first attempt found the lock taken").isTrue();
                held.close();
                // At once, on the same thread, as a loop would.
                Optional<Held> again = releaser.tryLock(Duration.ofMillis(300));
                if (again.isPresent()) {
                    retaken.add(race);
                    again.get().close();
                }
                waiter.get(SLACK.toSeconds(), TimeUnit.SECONDS).close();
            }
            assertThat(retaken).as("races (of %d) the releaser won against a waiting client; it must wait its turn", RACES).isEmpty();
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

    /** A driver whose waiting calls run {@code onQueued} when their first attempt finds the lock taken. */
    private static final class MarksFirstAttempt implements Driver<String> {
        private final EtcdDriver delegate;
        private final Runnable onQueued;

        MarksFirstAttempt(EtcdDriver delegate, Runnable onQueued) {
            this.delegate = delegate;
            this.onQueued = onQueued;
        }

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            return delegate.acquire(id, ttl, timeout);
        }

        @Override
        public Contention contend(String id, Duration ttl, Duration timeout) {
            Contention contention = delegate.contend(id, ttl, timeout);
            return new Contention() {
                @Override
                public Optional<Lease> tryAcquire() throws InterruptedException {
                    Optional<Lease> lease = contention.tryAcquire();
                    if (lease.isEmpty()) {
                        onQueued.run();
                    }
                    return lease;
                }

                @Override
                public void awaitRelease(Duration maxWait) throws InterruptedException {
                    contention.awaitRelease(maxWait);
                }

                @Override
                public CompletableFuture<Void> awaitReleaseAsync(Duration maxWait) {
                    return contention.awaitReleaseAsync(maxWait);
                }

                @Override
                public void close() {
                    contention.close();
                }
            };
        }

        @Override
        public void release(Lease lease) {
            delegate.release(lease);
        }

        @Override
        public void awaitRelease(String id, Duration maxWait) throws InterruptedException {
            delegate.awaitRelease(id, maxWait);
        }
    }

    /** The places in {@code id}'s waiter queue, oldest first. */
    private static List<KeyValue> places(String id) throws Exception {
        ByteSequence prefix = WaitQueue.prefix(EtcdTestSupport.key(id));
        GetOption option = GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(GetOption.SortOrder.ASCEND).build();
        return EtcdTestSupport.admin().getKVClient().get(prefix, option).get(10, TimeUnit.SECONDS).getKvs();
    }

    /** A client of its own, as another process would have. */
    private static EtcdDriver open(List<EtcdDriver> drivers) {
        EtcdDriver driver = EtcdTestSupport.newDriver();
        drivers.add(driver);
        return driver;
    }
}
