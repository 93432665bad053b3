package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link JdbcDriver#inspect}/{@link JdbcDriver#list} as the CLI uses them, and names stored exactly on every dialect. */
class InspectAndNamesIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void inspectShowsHolderTokenAndServerExpiry(TestDatabases db) throws Exception {
        String id = TestDatabases.freshLockId();
        try (JdbcDriver driver = (JdbcDriver) db.newDriver()) {
            assertThat(driver.inspect(id)).as("never taken").isEmpty();
            Lease lease = driver.acquire(id, Duration.ofSeconds(30), TIMEOUT).orElseThrow();
            LockInfo held = driver.inspect(id).orElseThrow();
            assertThat(held.held()).isTrue();
            assertThat(held.name()).isEqualTo(id);
            assertThat(held.owner().orElseThrow()).contains("@").contains("/");
            assertThat(held.fencingToken()).isEqualTo(lease.fencingToken());
            // By the server's clock; the margin is generous for slow machines.
            assertThat(held.expiresIn().orElseThrow()).isBetween(Duration.ofSeconds(20), Duration.ofSeconds(30));
            assertThat(driver.list()).filteredOn(info -> info.name().equals(id))
                    .singleElement().satisfies(info -> assertThat(info.owner()).isEqualTo(held.owner()))
                    .satisfies(info -> assertThat(info.fencingToken()).isEqualTo(held.fencingToken()));

            driver.release(lease);
            LockInfo free = driver.inspect(id).orElseThrow();
            assertThat(free.held()).isFalse();
            assertThat(free.owner()).isEmpty();
            assertThat(free.expiresIn()).isEmpty();
            assertThat(free.fencingToken()).as("release keeps the token").isEqualTo(lease.fencingToken());

            Lease next = driver.acquire(id, Duration.ofSeconds(30), TIMEOUT).orElseThrow();
            assertThat(next.fencingToken()).isEqualTo(lease.fencingToken() + 1);
            driver.release(next);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void namesDifferingInCaseOrTrailingSpaceAreDifferentLocks(TestDatabases db) throws Exception {
        String base = TestDatabases.freshLockId();
        try (JdbcDriver driver = (JdbcDriver) db.newDriver()) {
            List<String> names = List.of(base + "-Lock", base + "-lock", base + "-lock ", base + "-LOCK");
            List<Lease> leases = names.stream().map(name -> acquire(driver, name)).toList();
            assertThat(leases).as("each name is its own lock").allSatisfy(lease -> assertThat(lease).isNotNull());
            for (String name : names) {
                assertThat(driver.inspect(name)).get().extracting(LockInfo::name).isEqualTo(name);
            }
            leases.forEach(driver::release);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void longestUnicodeNameRoundTrips(TestDatabases db) throws Exception {
        String name = TestDatabases.freshLockId().substring(0, 10) + "\uD83D\uDD12é名".repeat(81); // 10 + 243 = 253 code points
        try (JdbcDriver driver = (JdbcDriver) db.newDriver()) {
            Lease lease = driver.acquire(name, Duration.ofSeconds(30), TIMEOUT).orElseThrow();
            assertThat(driver.inspect(name)).get().extracting(LockInfo::name).isEqualTo(name);
            assertThat(driver.acquire(name, Duration.ofSeconds(30), TIMEOUT)).isEmpty();
            driver.release(lease);
        }
    }

    private static Lease acquire(JdbcDriver driver, String name) {
        try {
            Optional<Lease> lease = driver.acquire(name, Duration.ofSeconds(30), TIMEOUT);
            return lease.orElse(null);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
