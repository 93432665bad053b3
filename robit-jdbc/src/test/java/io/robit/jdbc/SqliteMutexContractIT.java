package io.robit.jdbc;

import io.robit.spi.Driver;
import io.robit.tck.MutexContract;
import java.util.List;

/** The mutex contract of robit-tck against sqlite (see {@link TestDatabases}). */
class SqliteMutexContractIT extends MutexContract<String> {
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
