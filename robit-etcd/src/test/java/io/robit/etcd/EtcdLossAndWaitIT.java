package io.robit.etcd;

import static io.robit.etcd.EtcdTestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.KeyValue;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the kit cannot know about etcd: loss is pushed by the key's watch (no refresh needed),
 * waiting is a watch (it blocks until the delete, it does not poll), tokens are create revisions,
 * and holds of one ttl share one etcd lease.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdLossAndWaitIT {
    private static final Duration LONG_TTL = Duration.ofSeconds(60);
    private static final Duration SHORT_TTL = Duration.ofSeconds(2);
    private static final Duration SLACK = Duration.ofSeconds(5);

    private EtcdDriver a;
    private EtcdDriver b;
    private ExecutorService pool;

    @BeforeEach
    void open() {
        a = EtcdTestSupport.newDriver();
        b = EtcdTestSupport.newDriver();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void close() {
        pool.shutdownNow();
        a.close();
        b.close();
    }

    @Test
    void deletingTheKeyCompletesLostByWatchWithoutAnyRefresh() throws Exception {
        String id = EtcdTestSupport.newLockId("loss-delete");
        Lease lease = a.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        EtcdTestSupport.deleteKey(id);
        await("lost() by watch, no refresh called").atMost(SLACK).until(() -> lease.lost().isDone());
        assertThat(reasonOf(lease.lost())).isEqualTo(LossReason.GONE);
        a.release(lease);
    }

    @Test
    void aWatchCutByCompactionIsReopenedAndStillReportsTheLoss() throws Exception {
        String id = EtcdTestSupport.newLockId("compacted");
        Lease lease = a.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        // Compact past the key's creation before the hold's watch (deferred 50 ms) starts from it.
        long revision = 0;
        for (int i = 0; i < 2; i++) {
            revision = EtcdTestSupport.admin().getKVClient().put(EtcdTestSupport.key(id + "-other"), EtcdTestSupport.key("x"))
                    .get(10, TimeUnit.SECONDS).getHeader().getRevision();
        }
        EtcdTestSupport.admin().getKVClient().compact(revision).get(10, TimeUnit.SECONDS);
        TimeUnit.MILLISECONDS.sleep(600);
        assertThat(lease.lost()).as("a compaction is not a loss").isNotDone();
        EtcdTestSupport.deleteKey(id);
        await("lost() by the reopened watch").atMost(SLACK).until(() -> lease.lost().isDone());
        assertThat(reasonOf(lease.lost())).isEqualTo(LossReason.GONE);
        a.release(lease);
    }

    @Test
    void revokingTheLeaseLosesEveryHoldBoundToItAndTheNextAcquireTakesAFreshLease() throws Exception {
        String first = EtcdTestSupport.newLockId("loss-revoke");
        String second = EtcdTestSupport.newLockId("loss-revoke");
        Lease one = a.acquire(first, LONG_TTL, TIMEOUT).orElseThrow();
        Lease two = a.acquire(second, LONG_TTL, TIMEOUT).orElseThrow();
        assertThat(EtcdTestSupport.keyValue(first).getLease()).as("one lease per driver and ttl")
                .isEqualTo(EtcdTestSupport.keyValue(second).getLease());
        long revoked = EtcdTestSupport.keyValue(first).getLease();

        EtcdTestSupport.revokeLeaseOf(first);

        await("both holds lost by watch").atMost(SLACK).until(() -> one.lost().isDone() && two.lost().isDone());
        assertThat(reasonOf(one.lost())).isEqualTo(LossReason.EXPIRED);
        assertThat(catchThrowable(() -> one.refresh(LONG_TTL, TIMEOUT))).isInstanceOf(LockLostException.class);
        a.release(one);
        a.release(two);
        Lease again = a.acquire(first, LONG_TTL, TIMEOUT).orElseThrow();
        assertThat(EtcdTestSupport.keyValue(first).getLease()).as("a fresh lease").isNotEqualTo(revoked);
        a.release(again);
    }

    @Test
    void anUnrefreshedLeaseIsReportedLostWhenEtcdExpiresIt() throws Exception {
        String id = EtcdTestSupport.newLockId("loss-expiry");
        long start = System.nanoTime();
        Lease lease = a.acquire(id, SHORT_TTL, TIMEOUT).orElseThrow();
        await("lost() on expiry, without refresh").atMost(SHORT_TTL.plus(SLACK)).until(() -> lease.lost().isDone());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before the ttl").isGreaterThanOrEqualTo(SHORT_TTL);
        assertThat(reasonOf(lease.lost())).isEqualTo(LossReason.EXPIRED);
        assertThat(EtcdTestSupport.keyValue(id)).isNull();
        a.release(lease);
    }

    @Test
    void holdsOfDifferentTtlsUseDifferentLeasesAndSmallTtlsAreRoundedUp() throws Exception {
        String shortId = EtcdTestSupport.newLockId("ttl");
        String longId = EtcdTestSupport.newLockId("ttl");
        Lease small = a.acquire(shortId, Duration.ofMillis(300), TIMEOUT).orElseThrow();
        Lease large = a.acquire(longId, LONG_TTL, TIMEOUT).orElseThrow();
        long smallLease = EtcdTestSupport.keyValue(shortId).getLease();
        assertThat(smallLease).isNotEqualTo(EtcdTestSupport.keyValue(longId).getLease());
        long granted = EtcdTestSupport.admin().getLeaseClient().timeToLive(smallLease, io.etcd.jetcd.options.LeaseOption.DEFAULT)
                .get(10, TimeUnit.SECONDS).getGrantedTTL();
        assertThat(granted).as("etcd's granted ttl, at least the asked 300 ms rounded up").isGreaterThanOrEqualTo(1);
        a.release(small);
        a.release(large);
    }

    @Test
    void leaseHeadroomLengthensOnlyTheEtcdLease() throws Exception {
        try (EtcdDriver roomy = EtcdDriver.builder(EtcdTestSupport.server().uri() + "?headroom=1500ms").build()) {
            String id = EtcdTestSupport.newLockId("headroom");
            Lease lease = roomy.acquire(id, SHORT_TTL, TIMEOUT).orElseThrow();
            long granted = EtcdTestSupport.admin().getLeaseClient()
                    .timeToLive(EtcdTestSupport.keyValue(id).getLease(), io.etcd.jetcd.options.LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS)
                    .getGrantedTTL();
            assertThat(granted).as("2 s + 1.5 s, rounded up").isEqualTo(4);
            lease.refresh(SHORT_TTL, TIMEOUT);
            roomy.release(lease);
            assertThat(EtcdTestSupport.keyValue(id)).isNull();
        }
    }

    @Test
    void anAcquireRightAfterAnotherSkipsTheKeepAliveAndTrustsWhatTheSharedLeaseHasLeft() throws Exception {
        // Long enough that the 10% the default minTrustedFraction lets go (6 s) covers the 200 ms sleep
        // and an acquire on a loaded host; with 10 s, over 1 s of delay made the driver keep the lease alive.
        Duration ttl = Duration.ofSeconds(60);
        Lease first = a.acquire(EtcdTestSupport.newLockId("trust"), ttl, TIMEOUT).orElseThrow();
        assertThat(first.guaranteedTtl(ttl)).as("a fresh grant lasts the whole ttl").isEqualTo(ttl);
        TimeUnit.MILLISECONDS.sleep(200);
        Lease second = a.acquire(EtcdTestSupport.newLockId("trust"), ttl, TIMEOUT).orElseThrow();
        assertThat(second.guaranteedTtl(ttl)).as("no keep-alive: what is left of the shared lease")
                .isLessThan(ttl.minusMillis(199)).isGreaterThanOrEqualTo(ttl.multipliedBy(9).dividedBy(10));
        second.refresh(ttl, TIMEOUT);
        try (EtcdDriver strict = EtcdDriver.builder(EtcdTestSupport.server().uri()).minTrustedFraction(1.0).build()) {
            Lease one = strict.acquire(EtcdTestSupport.newLockId("trust"), ttl, TIMEOUT).orElseThrow();
            TimeUnit.MILLISECONDS.sleep(200);
            Lease two = strict.acquire(EtcdTestSupport.newLockId("trust"), ttl, TIMEOUT).orElseThrow();
            assertThat(two.guaranteedTtl(ttl)).as("kept alive on acquire").isEqualTo(ttl);
            strict.release(one);
            strict.release(two);
        }
        a.release(first);
        a.release(second);
    }

    @Test
    void anAcquireAbandonedByInterruptIsGivenBackIfEtcdAppliesIt() throws Exception {
        String id = EtcdTestSupport.newLockId("abandoned");
        a.release(a.acquire(EtcdTestSupport.newLockId("warm"), LONG_TTL, TIMEOUT).orElseThrow()); // the shared lease exists
        Thread.currentThread().interrupt();
        assertThat(catchThrowable(() -> a.acquire(id, LONG_TTL, TIMEOUT))).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        // The transaction was sent before the wait was interrupted; whatever etcd did with it, the lock ends up free.
        Lease taken = await("the lock is free long before the 60 s lease ends").atMost(SLACK).pollInterval(Duration.ofMillis(50))
                .until(() -> b.acquire(id, LONG_TTL, TIMEOUT), java.util.Optional::isPresent).orElseThrow();
        b.release(taken);
    }

    @Test
    void inspectAndListReportHolderTokenAndRemainingTtl() throws Exception {
        String prefix = "inspect-" + java.util.UUID.randomUUID() + "/";
        try (EtcdDriver ops = EtcdDriver.builder(EtcdTestSupport.server().uri()).keyPrefix(prefix).build()) {
            assertThat(ops.inspect("b-lock")).as("etcd keeps nothing of a free lock").isEmpty();
            Lease second = ops.acquire("b-lock", LONG_TTL, TIMEOUT).orElseThrow();
            Lease first = ops.acquire("a-lock", LONG_TTL, TIMEOUT).orElseThrow();
            io.robit.spi.LockInfo info = ops.inspect("b-lock").orElseThrow();
            assertThat(info.name()).isEqualTo("b-lock");
            assertThat(info.fencingToken()).isEqualTo(second.fencingToken());
            assertThat(info.owner()).hasValueSatisfying(owner -> assertThat(owner).startsWith(ProcessHandle.current().pid() + "@").contains("/session "));
            assertThat(info.expiresIn()).hasValueSatisfying(left -> assertThat(left).isPositive().isLessThanOrEqualTo(LONG_TTL));
            assertThat(ops.list()).extracting(io.robit.spi.LockInfo::name).containsExactly("a-lock", "b-lock");
            ops.release(first);
            ops.release(second);
            assertThat(ops.list()).isEmpty();
        }
    }

    @Test
    void fencingTokenIsTheKeysCreateRevision() throws Exception {
        String id = EtcdTestSupport.newLockId("token");
        Lease lease = a.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        KeyValue kv = EtcdTestSupport.keyValue(id);
        assertThat(lease.fencingToken()).isEqualTo(kv.getCreateRevision());
        a.release(lease);
        // Any write anywhere on the cluster raises the revision, so tokens across lock names grow too.
        Lease other = b.acquire(EtcdTestSupport.newLockId("token"), LONG_TTL, TIMEOUT).orElseThrow();
        assertThat(other.fencingToken()).isGreaterThan(lease.fencingToken());
        b.release(other);
    }

    @Test
    void awaitReleaseBlocksUntilTheHolderReleasesThenWakesAtOnce() throws Exception {
        String id = EtcdTestSupport.newLockId("wait-release");
        Lease held = a.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        CountDownLatch contended = new CountDownLatch(1);
        Future<Long> woke = pool.submit(() -> {
            assertThat(b.acquire(id, LONG_TTL, TIMEOUT)).isEmpty();
            contended.countDown();
            long start = System.nanoTime();
            b.awaitRelease(id, Duration.ofSeconds(30));
            return System.nanoTime() - start;
        });
        assertThat(contended.await(10, TimeUnit.SECONDS)).isTrue();
        long holdFor = TimeUnit.MILLISECONDS.toNanos(800);
        TimeUnit.NANOSECONDS.sleep(holdFor);
        long releasedAt = System.nanoTime();
        a.release(held);
        long waited = woke.get(30, TimeUnit.SECONDS);
        long wokeAt = System.nanoTime();
        assertThat(Duration.ofNanos(waited)).as("blocked while held: a watch, not a poll").isGreaterThanOrEqualTo(Duration.ofNanos(holdFor));
        assertThat(Duration.ofNanos(wokeAt - releasedAt)).as("woke soon after the release, far below maxWait").isLessThan(SLACK);
        Lease mine = b.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        b.release(mine);
    }

    @Test
    void awaitReleaseWakesWhenTheHoldersLeaseExpires() throws Exception {
        String id = EtcdTestSupport.newLockId("wait-expiry");
        long start = System.nanoTime();
        Lease abandoned = a.acquire(id, SHORT_TTL, TIMEOUT).orElseThrow();
        Future<?> waiter = pool.submit(() -> {
            b.awaitRelease(id, Duration.ofSeconds(40));
            return null;
        });
        waiter.get(SHORT_TTL.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SHORT_TTL);
        Lease mine = b.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        b.release(mine);
        a.release(abandoned);
    }

    @Test
    void awaitReleaseOfAFreeLockReturnsAtOnceAndOfAHeldOneHonoursMaxWait() throws Exception {
        String id = EtcdTestSupport.newLockId("wait-free");
        long start = System.nanoTime();
        b.awaitRelease(id, Duration.ofSeconds(30));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SLACK);
        Lease held = a.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        start = System.nanoTime();
        b.awaitRelease(id, Duration.ofMillis(700));
        long waited = System.nanoTime() - start;
        assertThat(Duration.ofNanos(waited)).isGreaterThanOrEqualTo(Duration.ofMillis(700)).isLessThan(Duration.ofMillis(700).plus(SLACK));
        a.release(held);
    }

    @Test
    void releaseIsNotALossAndDoesNotFireTheWatch() throws Exception {
        String id = EtcdTestSupport.newLockId("release");
        Lease lease = a.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        a.release(lease);
        assertThat(EtcdTestSupport.keyValue(id)).isNull();
        // A later holder's delete must not reach the released lease either.
        Lease next = b.acquire(id, LONG_TTL, TIMEOUT).orElseThrow();
        EtcdTestSupport.deleteKey(id);
        await().atMost(SLACK).until(() -> next.lost().isDone());
        assertThat(lease.lost()).isNotDone();
        b.release(next);
    }

    private static LossReason reasonOf(CompletableFuture<Void> lost) throws InterruptedException {
        try {
            lost.get(1, TimeUnit.SECONDS);
            throw new AssertionError("lost() completed normally; expected a LockLostException");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(LockLostException.class);
            return ((LockLostException) e.getCause()).reason();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("lost() not completed", e);
        }
    }
}
