package io.robit.etcd;

import static io.robit.etcd.EtcdTestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.options.LeaseOption;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hold's shared etcd lease that nobody kept alive until its sure time: etcd expires it a little
 * later (it counts from when it handled the grant or keep-alive, we from when we sent it), so a
 * refresh in between could still revive it. It must not: the hold is past its deadline, and a
 * refresh reports it lost. Nor may its key stay behind on the lease when another hold revives it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdUnrenewedSessionIT {
    private static final Duration TTL = Duration.ofSeconds(2);

    private EtcdDriver driver;
    private EtcdDriver rival;

    @BeforeEach
    void open() {
        driver = EtcdTestSupport.newDriver();
        rival = EtcdTestSupport.newDriver();
    }

    @AfterEach
    void close() {
        driver.close();
        rival.close();
    }

    @Test
    void aRefreshPastTheSessionsSureTimeReportsExpiryAndDoesNotReviveIt() throws Exception {
        String id = EtcdTestSupport.newLockId("unrenewed");
        EtcdLease lease = (EtcdLease) driver.acquire(id, TTL, TIMEOUT).orElseThrow();
        long leaseId = lease.session().id();

        awaitPastSureTime(lease);
        Throwable refreshed = catchThrowable(() -> lease.refresh(Duration.ofMillis(1), TIMEOUT));

        assertThat(refreshed).isInstanceOf(LockLostException.class);
        assertThat(((LockLostException) refreshed).reason()).isEqualTo(LossReason.EXPIRED);
        assertThat(lease.lost()).isCompletedExceptionally();
        long left = EtcdTestSupport.admin().getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS).getTTL();
        assertThat(left).as("seconds etcd still gives the lease (-1: gone); a keep-alive would have made it %s", TTL.toSeconds())
                .isLessThan(TTL.toSeconds());
        driver.release(lease);
    }

    @Test
    void theKeyOfAHoldLostThatWayDoesNotOutliveItOnALeaseAnotherHoldRevives() throws Exception {
        String lost = EtcdTestSupport.newLockId("unrenewed-lost");
        String kept = EtcdTestSupport.newLockId("unrenewed-kept");
        EtcdLease expired = (EtcdLease) driver.acquire(lost, TTL, TIMEOUT).orElseThrow();
        awaitPastSureTime(expired);
        assertThat(catchThrowable(() -> expired.refresh(Duration.ofMillis(1), TIMEOUT))).isInstanceOf(LockLostException.class);

        // Same driver and ttl: the same shared lease if etcd has not expired it yet, which this acquire then keeps alive.
        Lease keeper = driver.acquire(kept, TTL, TIMEOUT).orElseThrow();
        Lease[] taken = new Lease[1];
        await("the rival takes the lock whose hold was lost, while another hold keeps the shared lease alive")
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
                    keeper.refresh(TTL, TIMEOUT);
                    Optional<Lease> rivals = rival.acquire(lost, TTL, TIMEOUT);
                    rivals.ifPresent(l -> taken[0] = l);
                    return rivals.isPresent();
                });
        rival.release(taken[0]);
        driver.release(keeper);
        driver.release(expired);
    }

    /** Waits until the hold's shared lease is past the time we know etcd keeps it (nobody keeps it alive here). */
    private static void awaitPastSureTime(EtcdLease lease) {
        await("the shared lease passes its sure time").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                .until(() -> !lease.session().lastsUntil(System.nanoTime()));
    }
}
