package io.robit.faults;

/**
 * The deliberately broken drivers of the negative controls, one per promise: each must make its
 * run fail on the check that carries that promise (see docs/reliability.md). {@link #NONE} is the
 * real driver, recorded and otherwise untouched.
 */
enum Broken {
    /** The real driver. */
    NONE,
    /**
     * Asks the backend for half the ttl and tells the core it got all of it (a lease's guarantee is
     * the ttl asked for; a session keep-alive claims twice what the backend guarantees): caught as
     * deadline overruns.
     */
    HALVE_TTL,
    /**
     * Hands out, for every other grant of a name, the token of the grant before it (reused) or one
     * less (lowered): caught by the token-order check and at the fenced register.
     */
    REUSE_TOKENS,
    /**
     * The driver's own contention (the path of {@code lock()} and {@code tryLock(Duration)}) hands
     * every other grant the token of this process's previous grant of that name, while its plain
     * acquire is correct ({@link ContentionBreakingDriver}): caught by the token-order check, and
     * only if the suite sends waiting calls through the driver's contention.
     */
    CONTENTION_REUSES_TOKENS,
    /**
     * Never reports a loss (neither a lease's nor a session's {@code lost()} ever completes, a
     * refresh or keep-alive that finds the lease or session gone fails as a plain error), drops
     * every refresh and session keep-alive as a one-sided partition would, and the core's clock
     * seam ({@code Mutex.Builder.ticker}) runs at half speed so the local-deadline notice comes late:
     * caught as late notices of running holders.
     */
    HIDE_LOSS,
    /**
     * The real driver, but Robit's timer thread (the core's one scheduler thread) is kept busy: a
     * task of the worker spins on it for 2 ttl in every 2.5 ttl, so renewals and local deadlines
     * wait behind work of its own. Caught as late notices that the starvation evidence must not
     * excuse: the thread was running, not waiting for a CPU.
     */
    BUSY_TIMER,
    /**
     * Release deletes the lock key whoever holds it (Redis only): after a loss it frees the lock
     * of the holder that took over, caught as certain deadline overruns.
     */
    RELEASE_OTHERS
}
