package io.robit.tck;

import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import java.util.List;
import java.util.UUID;

/** One in-memory backend: every driver "instance" is the same LocalDriver, as processes share a server. */
final class LocalFixture implements DriverFixture<String> {
    private final LocalDriver<String> backend = LocalDriver.create();

    @Override
    public Driver<String> newDriver() {
        return backend;
    }

    @Override
    public String newLockId() {
        return "lock-" + UUID.randomUUID();
    }

    @Override
    public void breakLease(String id) {
        backend.revoke(id);
    }

    @Override
    public List<String> invalidIds() {
        return List.of("");
    }
}
