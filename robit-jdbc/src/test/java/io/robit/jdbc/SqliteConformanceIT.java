package io.robit.jdbc;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/** Every contract of the kit over an SQLite file in a temporary directory (see {@link TestDatabases}). */
class SqliteConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return TestDatabases.SQLITE;
    }
}
