package io.robit.jdbc;

import io.robit.tck.DriverFixture;
import io.robit.tck.LeaderElectionContract;

/** The leader election contract of robit-tck against SQLite, cut off by a hanging driver (see {@link TestDatabases}). */
class SqliteLeaderElectionContractIT extends LeaderElectionContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.SQLITE;
    }
}
