package io.robit.tck;

/** The in-memory driver passes the driver contract; every "process" shares one LocalDriver. */
class LocalDriverContractTest extends DriverContract<String> {
    private final LocalFixture backend = new LocalFixture();

    @Override
    protected DriverFixture<String> fixture() {
        return backend;
    }
}
