package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link QueueWatch}: the waits on one lock share one long-lived watch, and none of them misses a
 * delete that comes after what it saw: reported before it registered, after, before the watch
 * started, or after the watch's memory of deletes was cleared. Each "still waiting" check is the
 * negative control of the wake next to it: a wait that completed for any other reason fails it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QueueWatchIT {
    private static final Duration WAKE = Duration.ofSeconds(20);
    // Long enough for a wrongly woken wait to show; asserted as "not yet", never as a bound on a wake.
    private static final Duration QUIET = Duration.ofMillis(700);

    private final KV kv = EtcdTestSupport.admin().getKVClient();
    private EtcdDriver driver;
    private ByteSequence lockKey;

    @BeforeEach
    void open() {
        driver = EtcdTestSupport.newDriver();
        lockKey = EtcdTestSupport.key(EtcdTestSupport.newLockId("queue-watch"));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void waitsOnOneLockShareOneWatchThatClosesWhenNobodyWaits() throws Exception {
        long seen = put(lockKey);
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            waits.add(awaitDelete(lockKey, seen));
        }
        ByteSequence otherLock = EtcdTestSupport.key(EtcdTestSupport.newLockId("queue-watch-other"));
        CompletableFuture<Void> other = awaitDelete(otherLock, put(otherLock));
        assertThat(driver.queueWatches().size()).as("one watch per lock, not per wait").isEqualTo(2);
        stillWaiting(waits.get(0));

        delete(lockKey);
        CompletableFuture.allOf(waits.toArray(new CompletableFuture[0])).get(WAKE.toSeconds(), TimeUnit.SECONDS);
        assertThat(other).as("a delete of another lock wakes nobody here").isNotDone();
        delete(otherLock);
        other.get(WAKE.toSeconds(), TimeUnit.SECONDS);
        await().atMost(Duration.ofNanos(QueueWatches.LINGER_NANOS).plus(WAKE)).until(() -> driver.queueWatches().size() == 0);
    }

    @Test
    void aDeleteReportedBeforeTheWaitRegisteredWakesItAtOnceButNotAWaitOnTheKeyCreatedAgain() throws Exception {
        CompletableFuture<Void> keepsWatchOpen = awaitDelete(lockKey, put(lockKey));
        awaitStarted();
        ByteSequence place = place("a");
        long seen = deletedWhileAwaited(place);

        // Registered after the watch reported the delete, which it covers (no read): from its memory.
        awaitDelete(place, seen).get(WAKE.toSeconds(), TimeUnit.SECONDS);

        // The same key created again and seen at its new revision: that delete is older than what the wait saw.
        long seenAgain = put(place);
        CompletableFuture<Void> again = awaitDelete(place, seenAgain);
        stillWaiting(again);
        delete(place);
        again.get(WAKE.toSeconds(), TimeUnit.SECONDS);
        stillWaiting(keepsWatchOpen);
    }

    @Test
    void aDeleteBeforeTheWatchStartedWakesTheWaitByARead() throws Exception {
        ByteSequence place = place("b");
        long seen = put(place);
        delete(place);
        assertThat(driver.queueWatches().size()).isZero();
        awaitDelete(place, seen).get(WAKE.toSeconds(), TimeUnit.SECONDS);

        ByteSequence held = place("c");
        CompletableFuture<Void> stays = awaitDelete(held, put(held));
        stillWaiting(stays);
        delete(held);
        stays.get(WAKE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aWaitOlderThanTheClearedMemoryReadsAndStillWakes() throws Exception {
        CompletableFuture<Void> keepsWatchOpen = awaitDelete(lockKey, put(lockKey));
        awaitStarted();
        ByteSequence place = place("d");
        long seen = deletedWhileAwaited(place);
        // More deletes than the watch remembers: the one above is forgotten.
        List<CompletableFuture<Void>> churn = new ArrayList<>();
        for (int i = 0; i <= QueueWatch.MAX_REMEMBERED_DELETES; i++) {
            ByteSequence other = place("churn-" + i);
            churn.add(awaitDelete(other, put(other)));
            delete(other);
        }
        CompletableFuture.allOf(churn.toArray(new CompletableFuture[0])).get(WAKE.toSeconds(), TimeUnit.SECONDS);
        awaitDelete(place, seen).get(WAKE.toSeconds(), TimeUnit.SECONDS);

        ByteSequence held = place("e");
        CompletableFuture<Void> stays = awaitDelete(held, put(held));
        stillWaiting(stays);
        stillWaiting(keepsWatchOpen);
    }

    @Test
    void closingTheDriverWakesEveryWait() throws Exception {
        CompletableFuture<Void> wait = awaitDelete(lockKey, put(lockKey));
        stillWaiting(wait);
        driver.close();
        wait.get(WAKE.toSeconds(), TimeUnit.SECONDS);
        assertThat(driver.queueWatches().size()).isZero();
    }

    private CompletableFuture<Void> awaitDelete(ByteSequence key, long seenAt) {
        CompletableFuture<Void> freed = new CompletableFuture<>();
        driver.queueWatches().awaitDelete(lockKey.equals(key) || key.startsWith(WaitQueue.prefix(lockKey)) ? lockKey : key, key, seenAt, freed);
        return freed;
    }

    /** Until etcd has confirmed the lock's watch: waits on what is seen from now are covered by it, with no read. */
    private void awaitStarted() {
        await().atMost(WAKE).until(() -> driver.queueWatches().startRevision(lockKey) > 0);
    }

    /** Puts {@code key}, waits on it and deletes it: the revision it was seen at, once the watch has reported the delete. */
    private long deletedWhileAwaited(ByteSequence key) throws Exception {
        long seen = put(key);
        CompletableFuture<Void> early = awaitDelete(key, seen);
        delete(key);
        early.get(WAKE.toSeconds(), TimeUnit.SECONDS);
        return seen;
    }

    private ByteSequence place(String name) {
        return WaitQueue.prefix(lockKey).concat(ByteSequence.from(name, StandardCharsets.UTF_8));
    }

    /** Puts {@code key}; the revision it was created at. */
    private long put(ByteSequence key) throws Exception {
        return kv.put(key, ByteSequence.from("x", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    private void delete(ByteSequence key) throws Exception {
        assertThat(kv.delete(key).get(10, TimeUnit.SECONDS).getDeleted()).isEqualTo(1);
    }

    private static void stillWaiting(CompletableFuture<Void> wait) {
        await("a wait with its key still there").during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> !wait.isDone());
    }
}
