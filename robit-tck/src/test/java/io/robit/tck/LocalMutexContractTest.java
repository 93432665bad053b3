package io.robit.tck;

import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import java.util.UUID;

/** The Mutex semantics hold over the in-memory driver. */
class LocalMutexContractTest extends MutexContract<String> {
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
}
