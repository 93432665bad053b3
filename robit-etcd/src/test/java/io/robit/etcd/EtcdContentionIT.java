package io.robit.etcd;

import static io.robit.etcd.EtcdTestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.robit.spi.Contention;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EtcdDriver#contend}: what one attempt learns (the revision at which it found the key held)
 * travels with the call, not with the thread, so a wait on another thread still watches from there.
 * The proof: after the holder releases and the lock is taken again, a wait from the attempt's revision
 * wakes on the replayed delete, while a wait without it (it reads the key, held again) sleeps on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdContentionIT {
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Duration SLACK = Duration.ofSeconds(5);
    private static final Duration LONG_WAIT = Duration.ofSeconds(40);

    private EtcdDriver holder;
    private EtcdDriver waiter;
    private ExecutorService attempts;
    private ExecutorService waits;

    @BeforeEach
    void open() {
        holder = EtcdTestSupport.newDriver();
        waiter = EtcdTestSupport.newDriver();
        attempts = Executors.newSingleThreadExecutor();
        waits = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void close() {
        attempts.shutdownNow();
        waits.shutdownNow();
        holder.close();
        waiter.close();
    }

    @Test
    void aWaitOnAnotherThreadWatchesFromTheRevisionTheAttemptSaw() throws Exception {
        String id = EtcdTestSupport.newLockId("contend-cross-thread");
        Lease first = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        try (Contention contention = waiter.contend(id, TTL, TIMEOUT)) {
            Optional<Lease> attempt = attempts.submit(contention::tryAcquire).get(30, TimeUnit.SECONDS);
            assertThat(attempt).isEmpty();
            releaseAndBarge(id, first);
            long start = System.nanoTime();
            waits.submit(() -> {
                contention.awaitRelease(LONG_WAIT);
                return null;
            }).get(50, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("woke on the replayed delete, not at maxWait").isLessThan(SLACK);
            EtcdTestSupport.deleteKey(id);
        }
    }

    @Test
    void withoutTheAttemptsRevisionTheWaitReadsTheKeyAndSleepsOn() throws Exception {
        // Negative control for the test above: the driver's own awaitRelease has no revision to start from.
        String id = EtcdTestSupport.newLockId("contend-control");
        Lease first = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        assertThat(waiter.acquire(id, TTL, TIMEOUT)).isEmpty();
        Lease second = releaseAndRetake(id, first);
        Duration maxWait = Duration.ofSeconds(2);
        long start = System.nanoTime();
        waits.submit(() -> {
            waiter.awaitRelease(id, maxWait);
            return null;
        }).get(30, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the key is held again: slept until maxWait")
                .isGreaterThanOrEqualTo(maxWait);
        holder.release(second);
    }

    @Test
    void anAsynchronousWaitWakesOnTheReplayedDeleteAndTheNextAttemptWins() throws Exception {
        String id = EtcdTestSupport.newLockId("contend-async");
        Lease first = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        try (Contention contention = waiter.contend(id, TTL, TIMEOUT)) {
            assertThat(attempts.submit(contention::tryAcquire).get(30, TimeUnit.SECONDS)).isEmpty();
            CompletableFuture<Void> freed = contention.awaitReleaseAsync(LONG_WAIT);
            holder.release(first);
            freed.get(SLACK.toMillis(), TimeUnit.MILLISECONDS);
            Lease mine = waits.submit(contention::tryAcquire).get(30, TimeUnit.SECONDS).orElseThrow();
            waiter.release(mine);
        }
    }

    @Test
    void closingTheContentionEndsAWaitInProgress() throws Exception {
        String id = EtcdTestSupport.newLockId("contend-close");
        Lease held = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        Contention contention = waiter.contend(id, TTL, TIMEOUT);
        assertThat(contention.tryAcquire()).isEmpty();
        CompletableFuture<Void> freed = contention.awaitReleaseAsync(LONG_WAIT);
        assertThat(freed).isNotDone();
        contention.close();
        assertThat(freed).isDone();
        holder.release(held);
    }

    /**
     * The holder gives the lock back and a client that ignores the waiter queue (as a driver of an
     * earlier version would) takes it at once, so the key exists once more (a later create revision).
     */
    private void releaseAndBarge(String id, Lease first) throws Exception {
        holder.release(first);
        EtcdTestSupport.admin().getKVClient().put(EtcdTestSupport.key(id), ByteSequence.from(new byte[] {'b'})).get(10, TimeUnit.SECONDS);
        assertThat(EtcdTestSupport.keyValue(id).getCreateRevision()).isGreaterThan(first.fencingToken());
    }

    /** The holder gives the lock back and takes it again, so the key exists once more (a later create revision). */
    private Lease releaseAndRetake(String id, Lease first) throws Exception {
        holder.release(first);
        Lease second = holder.acquire(id, TTL, TIMEOUT).orElseThrow();
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        return second;
    }
}
