package io.robit.jdbc;

import io.robit.spi.Driver;
import io.robit.tck.DriverContract;
import java.util.List;

/** The driver contract of robit-tck against sqlite (see {@link TestDatabases}). */
class SqliteDriverContractIT extends DriverContract<String> {
    private static final TestDatabases DB = TestDatabases.SQLITE;

    @Override
    protected Driver<String> newDriver() {
        return DB.newDriver();
    }

    @Override
    protected String newLockId() {
        return TestDatabases.newLockId();
    }

    @Override
    protected void breakLease(String id) throws Exception {
        DB.breakLease(id);
    }

    @Override
    protected List<String> invalidIds() {
        return TestDatabases.invalidIds();
    }
}
