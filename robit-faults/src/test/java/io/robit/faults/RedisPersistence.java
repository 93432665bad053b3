package io.robit.faults;

import java.util.List;

/**
 * How the suite's own redis-server keeps its data across the SIGKILLs of the server-kill fault.
 * Only {@link #ALWAYS} keeps every acknowledged write; the others lose the last second, or
 * everything since the last snapshot, and so may forget a lock that is held. Robit must then keep
 * its tokens growing and tell the holder (at its next renewal); it cannot keep the lock.
 */
enum RedisPersistence {
    /** AOF, fsync on every write. */
    ALWAYS(List.of("--save", "", "--appendonly", "yes", "--appendfsync", "always")),
    /** AOF, fsync once a second (Redis's default AOF setting). */
    EVERYSEC(List.of("--save", "", "--appendonly", "yes", "--appendfsync", "everysec")),
    /** No AOF; an RDB snapshot when at least one key changed in the last 2 s. */
    RDB(List.of("--save", "2 1", "--appendonly", "no"));

    private final List<String> arguments;

    RedisPersistence(List<String> arguments) {
        this.arguments = arguments;
    }

    List<String> arguments() {
        return arguments;
    }

    /** Whether a crash can lose acknowledged writes. */
    boolean losesWritesOnCrash() {
        return this != ALWAYS;
    }
}
