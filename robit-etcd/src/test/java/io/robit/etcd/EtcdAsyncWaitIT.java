package io.robit.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link EtcdDriver#awaitReleaseAsync}: asynchronous waiters park no thread and do not poll (they share the lock's one watch). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdAsyncWaitIT {
    private static final Duration TTL = Duration.ofSeconds(60);

    @Test
    void waitersSleepUntilTheReleaseMessageWithoutThreadsOrPolling() throws Exception {
        String id = EtcdTestSupport.newLockId("async-wait");
        try (EtcdDriver holderDriver = EtcdTestSupport.newDriver(); EtcdDriver etcd = EtcdTestSupport.newDriver()) {
            Counting waiters = new Counting(etcd);
            Held held = Mutex.of(id, TTL, holderDriver).lock();
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            List<CompletableFuture<Held>> pending = new ArrayList<>();
            int count = 300;
            for (int i = 0; i < count; i++) {
                pending.add(Mutex.of(id, TTL, waiters).lockAsync());
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> waiters.asyncWaits.get() >= count);
            // Subscription confirmations wake early waiters once more; let that settle.
            AtomicInteger last = new AtomicInteger(-1);
            await().pollInterval(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30))
                    .until(() -> last.getAndSet(waiters.acquires.get()) == waiters.acquires.get());
            int attemptsWhileHeld = waiters.acquires.get();
            TimeUnit.SECONDS.sleep(2); // a poller would try again several times meanwhile
            assertThat(waiters.acquires.get()).as("attempts while the holder keeps the lock").isEqualTo(attemptsWhileHeld);
            assertThat(ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore)
                    .as("threads added by %d waiters", count).isLessThanOrEqualTo(16);
            assertThat(pending).noneMatch(CompletableFuture::isDone);

            held.close(); // the watches see the delete and wake every waiter; one wins
            CompletableFuture<Object> first = CompletableFuture.anyOf(pending.toArray(new CompletableFuture[0]));
            Held winner = (Held) first.get(30, TimeUnit.SECONDS);
            assertThat(winner.fencingToken()).isGreaterThan(0);
            pending.forEach(f -> f.cancel(true));
            winner.close();
            for (CompletableFuture<Held> f : pending) {
                if (!f.isCancelled() && f.isDone()) {
                    f.join().close();
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> holderDriver.inspect(id).map(info -> !info.held()).orElse(true));
        }
    }

    /** Counts the calls the core makes; delegates everything on the calling thread. */
    private static final class Counting implements Driver<String> {
        final EtcdDriver delegate;
        final AtomicInteger acquires = new AtomicInteger();
        final AtomicInteger asyncWaits = new AtomicInteger();

        Counting(EtcdDriver delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
            acquires.incrementAndGet();
            return delegate.acquire(id, ttl, timeout);
        }

        @Override
        public void release(Lease lease) {
            delegate.release(lease);
        }

        @Override
        public CompletableFuture<Void> awaitReleaseAsync(String id, Duration maxWait) {
            asyncWaits.incrementAndGet();
            return delegate.awaitReleaseAsync(id, maxWait);
        }
    }
}
