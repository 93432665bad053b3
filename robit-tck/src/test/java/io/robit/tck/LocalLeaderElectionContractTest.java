package io.robit.tck;

/** The leader election contract over the in-memory driver (cut off by a hanging driver: there is no server). */
class LocalLeaderElectionContractTest extends LeaderElectionContract<String> {
    private final LocalFixture fixture = new LocalFixture();

    @Override
    protected DriverFixture<String> fixture() {
        return fixture;
    }
}
