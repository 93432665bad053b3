package io.robit.jdbc;

import io.robit.tck.DriverContract;
import io.robit.tck.DriverFixture;

/** The driver contract of robit-tck against mariadb (see {@link TestDatabases}). */
class MariaDbDriverContractIT extends DriverContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.MARIADB;
    }
}
