package io.robit.tck;

/** The in-memory driver passes the mutex contract; every "process" shares one LocalDriver. */
class LocalMutexContractTest extends MutexContract<String> {
    private final LocalFixture backend = new LocalFixture();

    @Override
    protected DriverFixture<String> fixture() {
        return backend;
    }
}
