package io.robit.jdbc;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/** Every contract of the kit over the shared PostgreSQL on 127.0.0.1:5432 (see {@link TestDatabases}). */
@DriverConformance.FairWaiting // waiters queue (issue 18 item 4)
class PostgresConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return TestDatabases.POSTGRESQL;
    }
}
