package io.robit.jdbc;

import io.robit.tck.DriverFixture;
import io.robit.tck.LeaderElectionContract;

/** The leader election contract of robit-tck against MariaDB, cut off through a proxy (see {@link TestDatabases}). */
class MariaDbLeaderElectionContractIT extends LeaderElectionContract<String> {
    @Override
    protected DriverFixture<String> fixture() {
        return TestDatabases.MARIADB;
    }
}
