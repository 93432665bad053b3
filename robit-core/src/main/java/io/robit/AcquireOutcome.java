package io.robit;

/** How a lock call that did not get the lock ended, as told to {@link MutexListener#acquireFailed}. */
public enum AcquireOutcome {
    /** One attempt ({@code tryLock()}) found the lock held by another party. */
    BUSY,
    /** The wait ran out with the lock still held elsewhere. */
    TIMEOUT,
    /** The backend failed; the lock call threw a {@link DriverException}. */
    ERROR,
    /** The waiting thread was interrupted. */
    INTERRUPTED,
    /** The future of an asynchronous lock call was cancelled (or completed) by its caller. */
    CANCELLED
}
