package io.robit.tck;

import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/** One in-memory backend: every driver "instance" is the same LocalDriver, as processes share a server. */
final class LocalFixture implements DriverFixture<String> {
    private final LocalDriver<String> backend = LocalDriver.create();
    private final Driver<String> driver;
    private final List<String> invalidIds;

    LocalFixture() {
        this.driver = backend;
        this.invalidIds = List.of("");
    }

    /** The same backend seen through a wrapper (a control's faulty driver), which validates no ids itself. */
    LocalFixture(UnaryOperator<Driver<String>> wrapper) {
        this.driver = wrapper.apply(backend);
        this.invalidIds = List.of();
    }

    @Override
    public Driver<String> newDriver() {
        return driver;
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
        return invalidIds;
    }
}
