package io.robit.cli;

import io.robit.spi.Driver;
import io.robit.spi.LockInfo;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code robit list}: the locks the backend knows, where it can enumerate them, optionally filtered by name. */
@Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists the locks the backend knows of (held ones, and free ones it keeps a token for), by name.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {ExitCode.LINE_OK, ExitCode.LINE_USAGE, ExitCode.LINE_UNAVAILABLE},
        footer = {
            "",
            "Examples:",
            "  robit list",
            "  robit list nightly-            # names starting with nightly-",
            "  robit list '*-report'          # a glob: * any characters, ? one",
            "  robit list --held --backend postgresql://robit@db1/ops",
        })
final class ListCommand implements Callable<Integer> {
    private static final String[] HEADER = {"NAME", "STATE", "TOKEN", "EXPIRES IN", "HOLDER"};

    @Mixin
    BackendOption backend;

    @Option(names = "--held", description = "only the locks that are held now")
    boolean heldOnly;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATTERN",
            description = "only the names that start with PATTERN; with * (any characters) or ? (one character), the names "
                + "that match PATTERN as a whole")
    String pattern;

    @Override
    public Integer call() {
        Predicate<String> names = names(pattern);
        PrintStream out = System.out;
        Logging.configure();
        String uri = backend.resolve();
        try (Driver<String> driver = backend.open()) {
            List<String[]> rows = new ArrayList<>();
            rows.add(HEADER);
            for (LockInfo lock : Inspection.of(driver, uri).list()) {
                if ((!heldOnly || lock.held()) && names.test(lock.name())) {
                    rows.add(new String[] {lock.name(), lock.held() ? "held" : "free", Long.toString(lock.fencingToken()),
                        lock.expiresIn().map(Durations::format).orElse("-"), lock.owner().map(Holders::describe).orElse("-")});
                }
            }
            print(out, rows);
            return ExitCode.OK;
        }
    }

    /** Columns as wide as their widest cell; TOKEN right-aligned, the last column unpadded. */
    static void print(PrintStream out, List<String[]> rows) {
        int[] width = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                if (i == row.length - 1) {
                    line.append(row[i]);
                } else {
                    String format = i == 2 ? "%" + width[i] + "s" : "%-" + width[i] + "s";
                    line.append(String.format(Locale.ROOT, format, row[i]));
                }
            }
            out.println(line);
        }
    }

    /** A prefix, or a glob when it has {@code *} or {@code ?}; everything when null. */
    static Predicate<String> names(String pattern) {
        if (pattern == null) {
            return name -> true;
        }
        if (pattern.isBlank()) {
            throw new IllegalArgumentException("PATTERN must not be blank, got '" + pattern + "'");
        }
        if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0) {
            return name -> name.startsWith(pattern);
        }
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(switch (c) {
                case '*' -> ".*";
                case '?' -> ".";
                default -> Pattern.quote(String.valueOf(c));
            });
        }
        Pattern glob = Pattern.compile(regex.toString(), Pattern.DOTALL);
        return name -> glob.matcher(name).matches();
    }
}
