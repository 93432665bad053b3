package io.robit.faults;

/**
 * One injected fault as the harness applied it: kind, target, and its start and end on the shared
 * monotonic clock.
 *
 * @param kind what was done
 * @param target the worker name, {@code server} or {@code proxy}
 * @param detail e.g. the pause factor or the added latency
 * @param start {@link System#nanoTime()} when it began
 * @param end when it ended (equal to start for instantaneous faults)
 */
record Fault(Kind kind, String target, String detail, long start, long end) {

    /** The faults the harness knows. */
    enum Kind {
        /** Proxy forwards nothing either way; sockets stay open. */
        STALL_BOTH,
        /** Requests reach the server; replies are held back. */
        STALL_REPLIES,
        /** Added latency on every chunk both ways. */
        LATENCY,
        /** Every proxied connection reset. */
        RESET,
        /** SIGSTOP of a worker (usually the current holder), then SIGCONT. */
        PAUSE_WORKER,
        /** SIGKILL of a worker (usually the current holder); a new worker takes its slot. */
        KILL_WORKER,
        /** SIGSTOP of the server the suite started (of a cluster: the leader/master), then SIGCONT. */
        PAUSE_SERVER,
        /** SIGKILL of the server the suite started (of a cluster: the leader/master), then a restart on the same port and data. */
        KILL_SERVER,
        /** A cluster member (the leader or a follower) cut off from its peers, both ways, while clients stay connected to it; then healed. */
        CUT_MEMBER,
        /** A worker allocates hard enough for long stop-the-world GC pauses (the realistic twin of SIGSTOP). */
        GC_PAUSE,
        /** The wall clock of a worker (libfaketime) steps forward or back; its monotonic clock does not. */
        CLOCK_JUMP
    }
}
