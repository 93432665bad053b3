package io.robit.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.Ticker;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** LocalDriver's expiry runs on its ticker, so it is tested here without sleeping. */
class LocalDriverTest {
    private final AtomicLong now = new AtomicLong();
    private final Ticker ticker = now::get;
    private final LocalDriver<String> driver = LocalDriver.create(ticker);
    private final Duration ttl = Duration.ofSeconds(10);

    @Test
    void leaseExpiresExactlyAtItsTtlByTheTicker() throws Exception {
        Lease lease = driver.acquire("a", ttl, ttl).orElseThrow();
        now.addAndGet(ttl.toNanos() - 1);
        assertThat(driver.acquire("a", ttl, ttl)).isEmpty();
        now.addAndGet(1);
        Lease next = driver.acquire("a", ttl, ttl).orElseThrow();
        assertThat(next.fencingToken()).isEqualTo(lease.fencingToken() + 1);
        assertThatThrownBy(() -> lease.refresh(ttl, ttl)).isInstanceOf(LockLostException.class)
                .satisfies(e -> assertThat(((LockLostException) e).reason()).isEqualTo(LossReason.TAKEN_OVER));
        await().atMost(Duration.ofSeconds(5)).until(() -> lease.lost().isDone());
    }

    @Test
    void refreshMovesTheExpiry() throws Exception {
        Lease lease = driver.acquire("b", ttl, ttl).orElseThrow();
        now.addAndGet(ttl.toNanos() - 1);
        lease.refresh(ttl, ttl);
        now.addAndGet(ttl.toNanos() - 1);
        assertThat(driver.isLocked("b")).isTrue();
        now.addAndGet(1);
        assertThat(driver.isLocked("b")).isFalse();
        assertThatThrownBy(() -> lease.refresh(ttl, ttl)).isInstanceOf(LockLostException.class);
    }

    @Test
    void revokeCompletesLostWithReasonGone() throws Exception {
        Lease lease = driver.acquire("c", ttl, ttl).orElseThrow();
        assertThat(driver.revoke("c")).isTrue();
        assertThat(driver.revoke("c")).isFalse();
        assertThatThrownBy(() -> lease.lost().join()).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(LockLostException.class);
        assertThat(driver.isLocked("c")).isFalse();
    }

    @Test
    void tokensAreCountedPerName() throws Exception {
        Lease x1 = driver.acquire("x", ttl, ttl).orElseThrow();
        Lease y1 = driver.acquire("y", ttl, ttl).orElseThrow();
        driver.release(x1);
        Lease x2 = driver.acquire("x", ttl, ttl).orElseThrow();
        assertThat(x1.fencingToken()).isEqualTo(1);
        assertThat(y1.fencingToken()).isEqualTo(1);
        assertThat(x2.fencingToken()).isEqualTo(2);
    }

    @Test
    void aLeaseFromAnotherDriverIsIgnoredOnRelease() throws Exception {
        LocalDriver<String> other = LocalDriver.create(ticker);
        Lease mine = driver.acquire("d", ttl, ttl).orElseThrow();
        Lease foreign = other.acquire("d", ttl, ttl).orElseThrow();
        driver.release(foreign);
        assertThat(driver.isLocked("d")).isTrue();
        driver.release(mine);
        assertThat(driver.isLocked("d")).isFalse();
    }

    @Test
    void inspectAndListReportHolderTokenAndExpiry() throws Exception {
        assertThat(driver.inspect("free")).isEmpty();
        Lease lease = driver.acquire("held", ttl, ttl).orElseThrow();
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        var info = driver.inspect("held").orElseThrow();
        assertThat(info.held()).isTrue();
        assertThat(info.fencingToken()).isEqualTo(lease.fencingToken());
        assertThat(info.expiresIn()).contains(Duration.ofSeconds(6));
        driver.release(lease);
        var after = driver.inspect("held").orElseThrow();
        assertThat(after.held()).isFalse();
        assertThat(after.fencingToken()).as("the last token is remembered").isEqualTo(lease.fencingToken());
        driver.acquire("another", ttl, ttl).orElseThrow();
        assertThat(driver.list()).extracting(io.robit.spi.LockInfo::name).containsExactly("another", "held");
    }
}
