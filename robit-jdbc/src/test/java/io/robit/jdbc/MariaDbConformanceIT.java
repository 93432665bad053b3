package io.robit.jdbc;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/** Every contract of the kit over the shared MariaDB on 127.0.0.1:3306 (see {@link TestDatabases}). */
class MariaDbConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return TestDatabases.MARIADB;
    }
}
