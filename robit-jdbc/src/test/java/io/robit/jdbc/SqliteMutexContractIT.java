package io.robit.jdbc;

import io.robit.tck.MutexContract;
import io.robit.tck.DriverFixture;
import java.time.Duration;

/** The mutex contract of robit-tck against sqlite (see {@link TestDatabases}). */
class SqliteMutexContractIT extends MutexContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.SQLITE;
    }

    /** Every renewal is a write and a sync of one file: 250 holds renewing each second would swamp it. */
    @Override
    protected Duration outageTtl() {
        return Duration.ofSeconds(15);
    }
}
