package io.robit.internal;

/**
 * What keeps one {@link Hold} alive: its own {@link Renewal}, or its place in the renewal of the
 * session its lease lives on ({@link SessionRenewal}). The hold owns the state; its keeper only
 * tells it what happened (renewed, failed, lost). Not API.
 */
interface HoldKeeper {
    /** Starts keeping the hold alive; {@code sentNanos} is the ticker reading taken before the acquire was sent. */
    void start(long sentNanos);

    /** Stops: no renewal of this hold is sent after it returns, except one already in flight. */
    void stop();

    /** Waits (bounded by the renew timeout) for a renewal of this hold alone in flight to stop. */
    void awaitStopped();

    /** The error of the last failed renewal since the last success, or null. */
    Throwable lastError();

    /**
     * The hold's deadline given its own, {@code ownNanos}: a keeper that extends holds without
     * writing each one (a session's keep-alive) says here what it gave.
     */
    default long deadlineAfter(long ownNanos) {
        return ownNanos;
    }
}
