package io.robit.cli;

import io.robit.DriverException;
import io.robit.spi.Secrets;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code robit} command: run a command while holding a distributed lock ({@code robit run}) or
 * while leading an election ({@code robit lead}),
 * show who holds a lock ({@code robit status}, {@code robit list}), and the demo of loss and fencing
 * ({@code robit demo}). The one public entry point of this module; see {@code docs/cli.md}.
 */
@Command(name = "robit", mixinStandardHelpOptions = true, versionProvider = Robit.Version.class,
        description = "A distributed mutex for commands: run CMD while holding a lock shared through a backend (an "
            + "embedded SQLite file by default; Redis, PostgreSQL, MySQL/MariaDB, etcd, ZooKeeper), renewing it while CMD "
            + "runs and stopping CMD if the lock is lost.",
        subcommands = {RunCommand.class, LeadCommand.class, StatusCommand.class, ListCommand.class, DemoCommand.class, DemoJobCommand.class,
            CommandLine.HelpCommand.class},
        footer = {
            "",
            "Examples:",
            "  robit run --name nightly-report --wait 0 -- ./report.sh",
            "  robit lead --name scheduler -- ./scheduler",
            "  robit status nightly-report",
            "  robit demo",
            "",
            "Backend: --backend URI, else $ROBIT_BACKEND, else sqlite:$XDG_STATE_HOME/robit/robit.db",
            "(~/.local/state/robit/robit.db when XDG_STATE_HOME is unset).",
            "Exit codes: see 'robit help run'; 64 bad arguments, 69 backend unavailable.",
        })
public final class Robit implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** For picocli. */
    Robit() {
    }

    /** {@code robit} alone prints its usage and fails as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCode.USAGE;
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments, as given on the command line
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command line and returns its exit code (see {@code docs/cli.md}) without exiting.
     *
     * @param args the arguments, as given on the command line
     * @return the exit code
     */
    public static int execute(String... args) {
        CommandLine commandLine = new CommandLine(new Robit());
        // `robit run --name x cmd --its-option` gives --its-option to cmd, with or without `--`.
        commandLine.getSubcommands().get("run").setStopAtPositional(true);
        commandLine.getSubcommands().get("lead").setStopAtPositional(true);
        commandLine.setUsageHelpAutoWidth(true);
        commandLine.setParameterExceptionHandler((e, args1) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("robit: " + oneLine(e.getMessage()) + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return ExitCode.USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            int code;
            if (e instanceof IllegalArgumentException) {
                err.println("robit: " + oneLine(e.getMessage()));
                code = ExitCode.USAGE;
            } else if (e instanceof DriverException) {
                err.println("robit: backend unavailable: " + oneLine(e.getMessage()));
                code = ExitCode.UNAVAILABLE;
            } else {
                err.println("robit: internal error: " + oneLine(String.valueOf(e)));
                StringWriter trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                err.print(Secrets.redact(trace.toString()));
                code = ExitCode.SOFTWARE;
            }
            err.flush();
            return code;
        });
        return commandLine.execute(args);
    }

    /** {@code message} on one line, with any password in it masked. */
    static String oneLine(String message) {
        return message == null ? "" : Secrets.redact(message.strip().replaceAll("\\s*\\R\\s*", "; "));
    }

    /** Reads the version Maven wrote into {@code version.properties}. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Robit.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"robit " + properties.getProperty("version", "unknown") + " (Java " + Runtime.version() + ")"};
        }
    }
}
