package io.robit.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.LockLostException;
import io.robit.LossReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BaseLeaseTest {

    private static final class TestLease extends BaseLease {
        TestLease() {
            super("lock", 7);
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) {
            throw lose(LossReason.GONE, "not ours");
        }
    }

    @Test
    void keepsIdAndToken() {
        TestLease lease = new TestLease();
        assertThat(lease.lockId()).isEqualTo("lock");
        assertThat(lease.fencingToken()).isEqualTo(7);
        assertThat(lease.lost()).isNotDone();
        assertThat(lease).hasToString("TestLease[lock, token 7]");
    }

    @Test
    void aRefreshAnsweredNotOursThrowsAndCompletesLostWithTheSameException() {
        TestLease lease = new TestLease();
        LockLostException thrown = null;
        try {
            lease.refresh(Duration.ofSeconds(1), Duration.ofSeconds(1));
        } catch (LockLostException e) {
            thrown = e;
        }
        assertThat(thrown).isNotNull();
        assertThat(thrown.reason()).isEqualTo(LossReason.GONE);
        assertThat(lease.isLost()).isTrue();
        LockLostException completedWith = lease.lost().handle((v, e) -> (LockLostException) e).join();
        assertThat(completedWith).isSameAs(thrown);
    }

    @Test
    void lossIsSignalledOnce() {
        TestLease lease = new TestLease();
        assertThat(lease.signalLost(new LockLostException("lock", LossReason.EXPIRED, "first"))).isTrue();
        assertThat(lease.signalLost(new LockLostException("lock", LossReason.GONE, "second"))).isFalse();
        assertThat(lease.lost().handle((v, e) -> e.getMessage()).join()).contains("first");
    }

    @Test
    void noLossAfterAReleaseBegan() {
        TestLease lease = new TestLease();
        assertThat(lease.beginRelease()).isTrue();
        assertThat(lease.signalLost(new LockLostException("lock", LossReason.EXPIRED, "late"))).isFalse();
        assertThat(lease.lose(LossReason.GONE, "late")).isInstanceOf(LockLostException.class);
        assertThat(lease.lost()).isNotDone();
        assertThat(lease.isLost()).isFalse();
    }

    @Test
    void aReleaseHappensOnceLostOrNot() {
        TestLease released = new TestLease();
        assertThat(released.beginRelease()).isTrue();
        assertThat(released.beginRelease()).isFalse();
        assertThat(released.isReleaseBegun()).isTrue();
        TestLease lost = new TestLease();
        lost.lose(LossReason.EXPIRED, "expired");
        assertThat(lost.beginRelease()).as("a lost lease is still released once").isTrue();
        assertThat(lost.beginRelease()).isFalse();
    }

    @Test
    void racingLossAndReleaseSignalAtMostOneLoss() throws Exception {
        for (int round = 0; round < 200; round++) {
            TestLease lease = new TestLease();
            AtomicInteger losses = new AtomicInteger();
            AtomicInteger releases = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                boolean loses = t % 2 == 0;
                Thread thread = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (loses ? lease.signalLost(new LockLostException("lock", LossReason.GONE, "race")) : lease.beginRelease()) {
                        (loses ? losses : releases).incrementAndGet();
                    }
                });
                thread.start();
                threads.add(thread);
            }
            start.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(releases.get()).isEqualTo(1);
            assertThat(losses.get()).isLessThanOrEqualTo(1);
            CompletableFuture<Void> lost = lease.lost();
            assertThat(lost.isDone()).isEqualTo(losses.get() == 1);
        }
    }
}
