package io.robit.cli;

import io.robit.spi.Driver;
import io.robit.spi.LockInfo;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code robit list}: every lock the backend knows, where it can enumerate them. */
@Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists the locks the backend knows of (held ones, and free ones it keeps a token for), by name.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {ExitCode.LINE_OK, ExitCode.LINE_USAGE, ExitCode.LINE_UNAVAILABLE},
        footer = {
            "",
            "Examples:",
            "  robit list",
            "  robit list --held --backend postgresql://robit@db1/ops",
        })
final class ListCommand implements Callable<Integer> {
    @Mixin
    BackendOption backend;

    @Option(names = "--held", description = "only the locks that are held now")
    boolean heldOnly;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        Logging.configure(false);
        String uri = backend.resolve();
        try (Driver<String> driver = backend.open()) {
            List<LockInfo> locks = Inspection.of(driver, uri).list().stream().filter(lock -> !heldOnly || lock.held()).toList();
            int width = Math.max(4, locks.stream().mapToInt(lock -> lock.name().length()).max().orElse(0));
            String format = "%-" + width + "s  %-5s  %8s  %-10s  %s%n";
            out.printf(Locale.ROOT, format, "NAME", "STATE", "TOKEN", "EXPIRES IN", "HOLDER");
            for (LockInfo lock : locks) {
                out.printf(Locale.ROOT, format, lock.name(), lock.held() ? "held" : "free", lock.fencingToken(),
                        lock.expiresIn().map(Durations::format).orElse("-"), lock.owner().orElse("-"));
            }
            return ExitCode.OK;
        }
    }
}
