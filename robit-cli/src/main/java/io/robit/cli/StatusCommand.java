package io.robit.cli;

import io.robit.spi.Driver;
import io.robit.spi.LockInfo;
import io.robit.spi.Secrets;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code robit status NAME}: who holds the lock, since when, when its lease expires, its token. */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shows who holds lock NAME, since when, when its lease expires unless renewed, and its fencing token.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {ExitCode.LINE_HELD, ExitCode.LINE_NOT_HELD, ExitCode.LINE_USAGE, ExitCode.LINE_UNAVAILABLE},
        footer = {
            "",
            "Examples:",
            "  robit status nightly-report",
            "  robit status --backend redis://127.0.0.1:6379 migrate",
            "  robit status nightly-report >/dev/null || echo 'nobody is running the report'",
        })
final class StatusCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "the lock's name")
    String name;

    @Mixin
    BackendOption backend;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        if (name.isBlank()) {
            throw new IllegalArgumentException("NAME must not be blank, got '" + name + "'");
        }
        Logging.configure();
        String uri = backend.resolve();
        try (Driver<String> driver = backend.open()) {
            driver.validate(name);
            Optional<LockInfo> info = Inspection.of(driver, uri).inspect(name);
            if (info.isEmpty()) {
                out.println("lock '" + name + "' is free (never taken on " + Secrets.redact(uri) + ")");
                return ExitCode.NOT_HELD;
            }
            LockInfo lock = info.get();
            if (!lock.held()) {
                out.println("lock '" + name + "' is free" + (lock.fencingToken() > 0 ? " (last token " + lock.fencingToken() + ")" : ""));
                return ExitCode.NOT_HELD;
            }
            out.println("lock '" + name + "' is held");
            out.println("  holder      " + lock.owner().map(Holders::describe).orElse("?"));
            lock.since().ifPresent(since -> out.println("  since       " + Inspection.when(since)));
            lock.expiresIn().ifPresent(left -> out.println("  expires in  " + Durations.format(left) + " unless renewed"));
            out.println("  token       " + lock.fencingToken());
            return ExitCode.OK;
        }
    }
}
