package io.robit.tck;

import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import java.util.List;
import java.util.UUID;

/** The in-memory driver passes the driver contract. Every "process" shares one LocalDriver. */
class LocalDriverContractTest extends DriverContract<String> {
    private final LocalDriver<String> backend = LocalDriver.create();

    @Override
    protected Driver<String> newDriver() {
        return backend;
    }

    @Override
    protected String newLockId() {
        return "lock-" + UUID.randomUUID();
    }

    @Override
    protected void breakLease(String id) {
        backend.revoke(id);
    }

    @Override
    protected List<String> invalidIds() {
        return List.of("");
    }
}
