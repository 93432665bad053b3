package io.robit.tck;

/** Positive control: a fair queueing driver that keeps its ticket in the contention passes the waiting contract. */
class QueueContentionContractTest extends ContentionContract<String> {
    private final QueueFixture backend = new QueueFixture(QueueFixture.Mode.CORRECT);

    @Override
    protected DriverFixture<String> fixture() {
        return backend;
    }

    // Its queued waiters poll for the head of the queue: cheap for hundreds, not for 10,000.
    @Override
    protected int virtualThreadWaiters() {
        return 300;
    }
}
