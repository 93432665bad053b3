package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The shared lease's users and its revoke decision: never while a user may have a key on it, exactly once. */
class SharedLeaseTest {

    @Test
    void aRetiredLeaseTakesNoNewUserAndIsRevokedByItsLastUser() {
        SharedLease lease = new SharedLease(null, 1, 10, System.nanoTime());
        assertThat(lease.tryUse()).isTrue();
        assertThat(lease.tryUse()).isTrue();
        assertThat(lease.retire()).as("two users: not yet").isFalse();
        assertThat(lease.usable()).isFalse();
        assertThat(lease.tryUse()).as("retired: no new user").isFalse();
        assertThat(lease.unuse()).isFalse();
        assertThat(lease.unuse()).as("the last user revokes it").isTrue();
        assertThat(lease.userCount()).isZero();
    }

    @Test
    void retiringALeaseWithoutUsersRevokesItAtOnceAndOnlyOnce() {
        SharedLease lease = new SharedLease(null, 1, 10, System.nanoTime());
        assertThat(lease.tryUse()).isTrue();
        assertThat(lease.unuse()).as("not retired: kept for the next acquire").isFalse();
        assertThat(lease.retire()).isTrue();
        assertThat(lease.retire()).as("already retired").isFalse();
    }

    @Test
    void aDeadLeaseTakesNoNewUser() {
        SharedLease lease = new SharedLease(null, 1, 10, System.nanoTime());
        lease.markDead();
        assertThat(lease.tryUse()).isFalse();
    }

    @Test
    void underRacingUsersTheRevokeIsDecidedOnceAndNeverWhileAUserRemains() throws Exception {
        for (int round = 0; round < 200; round++) {
            SharedLease lease = new SharedLease(null, round, 10, System.nanoTime());
            AtomicInteger revokes = new AtomicInteger();
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger revokedWhileUsed = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 200; i++) {
                        if (thread == 0 && i == 100 && lease.retire()) {
                            revokes.incrementAndGet();
                            if (inside.get() > 0) {
                                revokedWhileUsed.incrementAndGet();
                            }
                        }
                        if (lease.tryUse()) {
                            // A user between its tryUse and its unuse: a revoke now would delete its key.
                            inside.incrementAndGet();
                            for (int spin = 0; spin < 50; spin++) {
                                Thread.onSpinWait();
                            }
                            inside.decrementAndGet();
                            if (lease.unuse()) {
                                revokes.incrementAndGet();
                                if (inside.get() > 0) {
                                    revokedWhileUsed.incrementAndGet();
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertThat(revokes.get()).as("round %d", round).isEqualTo(1);
            assertThat(revokedWhileUsed.get()).isZero();
            assertThat(lease.tryUse()).isFalse();
        }
    }
}
