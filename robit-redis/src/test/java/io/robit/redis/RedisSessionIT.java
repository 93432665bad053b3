package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.robit.Held;
import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.Mutex;
import io.robit.spi.Lease;
import io.robit.spi.LeaseSession;
import io.robit.spi.SessionLease;
import io.robit.testsupport.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A driver's leases of one ttl are one session: one keep-alive extends them all in a few script
 * calls, and each lease is answered for itself. Own server, so that commands can be counted.
 */
class RedisSessionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void oneKeepAliveExtendsEveryKeyAndTellsEachLossBeforeItReturns() throws Exception {
        int locks = 600; // three script calls of at most 256 keys
        try (RedisServer redis = RedisServer.start();
                TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(redis.uri()));
                RedisDriver driver = RedisDriver.open(redis.uri());
                RedisDriver other = RedisDriver.open(redis.uri())) {
            List<SessionLease> leases = new ArrayList<>();
            for (int i = 0; i < locks; i++) {
                leases.add((SessionLease) driver.acquire("s-" + i, Duration.ofSeconds(20), TIMEOUT).orElseThrow());
            }
            LeaseSession session = leases.get(0).session();
            assertThat(leases).allSatisfy(lease -> assertThat(lease.session()).isSameAs(session));
            Lease shorter = driver.acquire("s-shorter", Duration.ofSeconds(5), TIMEOUT).orElseThrow();
            assertThat(((SessionLease) shorter).session()).as("another ttl, another session").isNotSameAs(session);

            admin.sync().pexpire(driver.lockKey("s-0"), 1000); // so that the extension shows
            admin.sync().del(driver.lockKey("s-3")); // gone behind the holder's back
            admin.sync().del(driver.lockKey("s-7"));
            Lease thief = other.acquire("s-7", Duration.ofSeconds(30), TIMEOUT).orElseThrow(); // taken over
            driver.release(leases.get(9)); // released: never a loss, and not renewed again
            long scripts = calls(admin, "evalsha");
            long reads = calls(admin, "get");

            assertThat(session.keepAlive(TIMEOUT)).isEqualTo(Duration.ofSeconds(20));

            assertThat(calls(admin, "evalsha") - scripts).as("script calls for %d keys", locks - 1).isEqualTo(3);
            assertThat(calls(admin, "get") - reads).as("keys checked").isEqualTo(locks - 1);
            assertThat(admin.sync().pttl(driver.lockKey("s-0"))).isGreaterThan(Duration.ofSeconds(15).toMillis());
            assertThat(reason(leases.get(3))).isEqualTo(LossReason.GONE);
            assertThat(reason(leases.get(7))).isEqualTo(LossReason.TAKEN_OVER);
            assertThat(leases.get(9).lost()).as("released, not lost").isNotDone();
            assertThat(leases).filteredOn(lease -> lease.lost().isDone()).hasSize(2);
            assertThat(admin.sync().get(driver.lockKey("s-9"))).as("a released key is not brought back").isNull();
            assertThat(admin.sync().pttl(driver.lockKey("s-7"))).as("the thief's key untouched").isLessThanOrEqualTo(30_000);

            // The lost and released leases left the session: the next keep-alive checks only the rest.
            reads = calls(admin, "get");
            session.keepAlive(TIMEOUT);
            assertThat(calls(admin, "get") - reads).isEqualTo(locks - 3);
            other.release(thief);
            driver.release(shorter);
            leases.forEach(driver::release);
        }
    }

    /** The script arguments are kept between keep-alives: each keep-alive must still cover exactly the leases on the session then. */
    @Test
    void eachKeepAliveCoversTheLeasesOnTheSessionWhenItIsSent() throws Exception {
        int locks = 300; // two script calls
        try (RedisServer redis = RedisServer.start();
                TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(redis.uri()));
                RedisDriver driver = RedisDriver.open(redis.uri())) {
            List<SessionLease> leases = new ArrayList<>();
            for (int i = 0; i < locks; i++) {
                leases.add((SessionLease) driver.acquire("c-" + i, Duration.ofSeconds(20), TIMEOUT).orElseThrow());
            }
            LeaseSession session = leases.get(0).session();
            assertThat(keysChecked(admin, session)).as("first keep-alive").isEqualTo(locks);
            assertThat(keysChecked(admin, session)).as("again, nothing changed").isEqualTo(locks);

            SessionLease joined = (SessionLease) driver.acquire("c-joined", Duration.ofSeconds(20), TIMEOUT).orElseThrow();
            admin.sync().pexpire(driver.lockKey("c-joined"), 1000); // so that its extension shows
            assertThat(keysChecked(admin, session)).as("after a lease joined").isEqualTo(locks + 1);
            assertThat(admin.sync().pttl(driver.lockKey("c-joined"))).as("the joined lease's key was extended").isGreaterThan(15_000);

            driver.release(leases.remove(0));
            driver.release(leases.remove(0));
            assertThat(keysChecked(admin, session)).as("after two leases left").isEqualTo(locks - 1);
            assertThat(leases).allSatisfy(lease -> assertThat(lease.lost()).isNotDone());
            assertThat(joined.lost()).isNotDone();
            driver.release(joined);
            leases.forEach(driver::release);
        }
    }

    // Sends one keep-alive; returns how many keys it checked.
    private static long keysChecked(TestRedis.Admin admin, LeaseSession session) throws InterruptedException {
        long reads = calls(admin, "get");
        session.keepAlive(TIMEOUT);
        return calls(admin, "get") - reads;
    }

    @Test
    void heldLocksCostOneKeepAlivePerPeriodNotOneRequestPerHold() throws Exception {
        int locks = 100;
        try (RedisServer redis = RedisServer.start();
                TestRedis.Admin admin = new TestRedis.Admin(RedisClient.create(redis.uri()));
                RedisDriver driver = RedisDriver.open(redis.uri())) {
            List<Held> holds = new ArrayList<>();
            CompletableFuture<Object> anyLoss = new CompletableFuture<>();
            for (int i = 0; i < locks; i++) {
                holds.add(Mutex.builder("held-" + i, Duration.ofSeconds(3), driver).renewPeriod(Duration.ofMillis(200))
                        .onLost(anyLoss::complete).build().lock());
            }
            long scripts = calls(admin, "evalsha");
            long reads = calls(admin, "get");
            await().atMost(Duration.ofSeconds(30)).until(() -> calls(admin, "get") - reads >= 5L * locks);
            long keysRenewed = calls(admin, "get") - reads;
            long scriptCalls = calls(admin, "evalsha") - scripts;
            // One hold per request would be one script call per key; a session keep-alive is one per period.
            assertThat(scriptCalls).as("%d script calls renewed %d keys", scriptCalls, keysRenewed).isLessThanOrEqualTo(keysRenewed / 50 + 1);
            assertThat(anyLoss).isNotDone();
            assertThat(holds).allSatisfy(held -> assertThat(held.isLost()).isFalse());
            holds.forEach(Held::close);
        }
    }

    private static LossReason reason(Lease lease) {
        assertThat(lease.lost()).isCompletedExceptionally();
        return ((LockLostException) lease.lost().handle((ignored, error) -> error).join()).reason();
    }

    private static long calls(TestRedis.Admin admin, String command) {
        Matcher m = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(admin.sync().info("commandstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
