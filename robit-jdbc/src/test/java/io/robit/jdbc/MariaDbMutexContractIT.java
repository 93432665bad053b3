package io.robit.jdbc;

import io.robit.tck.MutexContract;
import io.robit.tck.DriverFixture;

/** The mutex contract of robit-tck against mariadb (see {@link TestDatabases}). */
class MariaDbMutexContractIT extends MutexContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.MARIADB;
    }
}
