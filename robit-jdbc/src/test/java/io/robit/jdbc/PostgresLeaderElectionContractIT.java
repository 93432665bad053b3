package io.robit.jdbc;

import io.robit.tck.DriverFixture;
import io.robit.tck.LeaderElectionContract;

/** The leader election contract of robit-tck against PostgreSQL, cut off through a proxy (see {@link TestDatabases}). */
class PostgresLeaderElectionContractIT extends LeaderElectionContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.POSTGRESQL;
    }
}
