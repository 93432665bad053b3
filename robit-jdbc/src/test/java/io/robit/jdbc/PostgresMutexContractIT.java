package io.robit.jdbc;

import io.robit.tck.MutexContract;
import io.robit.tck.DriverFixture;

/** The mutex contract of robit-tck against postgresql (see {@link TestDatabases}). */
class PostgresMutexContractIT extends MutexContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.POSTGRESQL;
    }
}
