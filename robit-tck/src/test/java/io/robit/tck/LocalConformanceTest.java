package io.robit.tck;

/** Every contract of the kit over the in-memory driver; every "process" shares one LocalDriver. */
class LocalConformanceTest extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return new LocalFixture();
    }
}
