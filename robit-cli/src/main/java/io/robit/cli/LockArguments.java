package io.robit.cli;

import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** The checks every command that takes a lock applies to its name and ttl, before the backend is opened. */
final class LockArguments {
    static final Duration MIN_TTL = Duration.ofMillis(100);
    // Mutex's own limit, checked here so that it fails before the backend is opened.
    static final Duration MAX_TTL = Duration.ofDays(36_500);

    private LockArguments() {
    }

    /** @throws ParameterException (exit 64) for a ttl out of bounds or a blank name */
    static void check(CommandSpec spec, String name, Duration ttl) {
        if (ttl.compareTo(MIN_TTL) < 0) {
            throw new ParameterException(spec.commandLine(), "--ttl must be at least 100ms, got " + Durations.format(ttl));
        }
        if (ttl.compareTo(MAX_TTL) > 0) {
            throw new ParameterException(spec.commandLine(), "--ttl must be at most " + MAX_TTL.toHours() + "h (100 years), got "
                    + ttl.toHours() + "h");
        }
        if (name.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--name must not be blank, got '" + name + "'");
        }
    }
}
