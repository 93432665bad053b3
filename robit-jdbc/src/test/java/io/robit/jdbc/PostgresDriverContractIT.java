package io.robit.jdbc;

import io.robit.tck.DriverContract;
import io.robit.tck.DriverFixture;

/** The driver contract of robit-tck against postgresql (see {@link TestDatabases}). */
class PostgresDriverContractIT extends DriverContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.POSTGRESQL;
    }
}
