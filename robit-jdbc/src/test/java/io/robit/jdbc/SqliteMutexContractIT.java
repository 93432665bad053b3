package io.robit.jdbc;

import io.robit.tck.MutexContract;
import io.robit.tck.DriverFixture;

/** The mutex contract of robit-tck against sqlite (see {@link TestDatabases}). */
class SqliteMutexContractIT extends MutexContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.SQLITE;
    }
}
