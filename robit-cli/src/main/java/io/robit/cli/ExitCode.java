package io.robit.cli;

/**
 * The exit codes of {@code robit}, BSD sysexits style where one fits. Documented in {@code docs/cli.md}
 * and in every command's {@code --help}; tests hold them fixed.
 */
final class ExitCode {
    /** Success; for {@code robit run}, CMD's own status is passed through instead. */
    static final int OK = 0;
    /** {@code robit status}: the lock is not held. */
    static final int NOT_HELD = 1;
    /** Bad arguments: unknown option, missing value, malformed duration or backend URI, unknown scheme. */
    static final int USAGE = 64;
    /** The backend could not be reached or failed, or lacks a capability the command needs. */
    static final int UNAVAILABLE = 69;
    /** An internal error in robit itself. */
    static final int SOFTWARE = 70;
    /** {@code robit run}: the lock was not acquired within {@code --wait}. */
    static final int NOT_ACQUIRED = 75;
    /** {@code robit run}: the lock was lost while CMD ran; CMD was stopped. */
    static final int LOST = 79;
    /** {@code robit run}: CMD exists but could not be executed. */
    static final int CANNOT_EXECUTE = 126;
    /** {@code robit run}: CMD was not found. */
    static final int NOT_FOUND = 127;

    // Lines of the exit code lists in --help (picocli's "code:description" form).
    static final String LINE_CMD = "CMD's:CMD ran to its end while the lock was held: its own exit status";
    static final String LINE_OK = "0:success";
    static final String LINE_HELD = "0:the lock is held";
    static final String LINE_NOT_HELD = "1:the lock is free";
    static final String LINE_USAGE = "64:bad arguments (unknown option, bad duration, malformed URI, unknown scheme)";
    static final String LINE_UNAVAILABLE = "69:backend unreachable or failing, or lacking what the command needs";
    static final String LINE_SOFTWARE = "70:internal error";
    static final String LINE_NOT_ACQUIRED = "75:lock not acquired within --wait; CMD was not run";
    static final String LINE_LOST = "79:lock lost while CMD ran; CMD was stopped (SIGTERM, SIGKILL after --grace)";
    static final String LINE_EXEC = "126/127:CMD could not be executed / was not found";
    static final String LINE_SIGNAL = "128+N:robit got signal N before CMD started; CMD was not run";

    private ExitCode() {
    }
}
