package io.robit.tck;

// snippet:conformance
/** Every contract of the kit over the in-memory driver; every "process" shares one LocalDriver. */
class LocalConformanceTest extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return new LocalFixture(); // opened once for the class, closed after its last test
    }
}
// end::conformance
