package io.robit.jdbc;

import io.robit.tck.DriverContract;
import io.robit.tck.DriverFixture;

/** The driver contract of robit-tck against sqlite (see {@link TestDatabases}). */
class SqliteDriverContractIT extends DriverContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.SQLITE;
    }
}
