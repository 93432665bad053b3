package io.robit.cli;

import io.robit.LeaderElection;
import io.robit.Leadership;
import io.robit.Loss;
import io.robit.spi.Driver;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.helpers.NOPLogger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code robit lead}: campaigns for leadership of NAME and runs CMD while this process is the
 * leader; stops CMD the moment leadership is lost; campaigns again when CMD ends (unless
 * {@code --once}). One instance per invocation; CMD and the signals robit gets are its
 * {@link Child}'s.
 */
@Command(name = "lead", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs CMD while this process is the leader of NAME: of all 'robit lead --name NAME' processes on one backend, "
                + "at most one runs CMD at a time (run one per replica to keep one active). CMD gets the term (a fencing token "
                + "that grows with every new leader) in $ROBIT_FENCING_TOKEN and the name in $ROBIT_LOCK_NAME.",
            "The moment leadership is lost (lease expired or taken over, backend unreachable for longer than the lease, this "
                + "process paused), robit says why on stderr and stops CMD and its child processes: SIGTERM, SIGKILL after --grace. "
                + "When CMD exits or is stopped, robit resigns and, unless --once, campaigns again after --restart-delay.",
        },
        exitCodeListHeading = "%nExit codes (robit lead runs until stopped unless --once):%n",
        exitCodeList = {
            "CMD's:with --once, CMD ran to its end while leading; after SIGTERM/SIGINT/SIGHUP, CMD's status once it stopped",
            ExitCode.LINE_USAGE, ExitCode.LINE_UNAVAILABLE, ExitCode.LINE_SOFTWARE,
            "79:with --once, leadership was lost while CMD ran; CMD was stopped (SIGTERM, SIGKILL after --grace)",
            ExitCode.LINE_EXEC,
            "128+N:robit got signal N while not leading; CMD was not running",
        },
        footer = {
            "",
            "Examples:",
            "  # on each of three hosts: exactly one runs the scheduler",
            "  robit lead --name scheduler -b redis://db1:6379 -- ./scheduler",
            "",
            "  # a one-shot job that gives up if it loses leadership",
            "  robit lead --name compaction --once --grace 30s -- ./compact.sh",
        })
final class LeadCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--name"}, required = true, paramLabel = "NAME", description = "the election's name (a lock name)")
    String name;

    @Mixin
    BackendOption backend;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.Positive.class,
            description = "lease length: a leader that stops renewing (crash, pause, partition) is replaced this long after its "
                + "last renewal, and told before (default: ${DEFAULT-VALUE}; at least 100ms). On ZooKeeper robit asks for a "
                + "session timeout of the ttl, which the server rounds into 2 to 20 ticks (4s to 40s with tickTime=2000): "
                + "that is how long a crashed leader keeps leading there")
    Duration ttl;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "10s", converter = Durations.NonNegative.class,
            description = "after leadership is lost, how long CMD has between SIGTERM and SIGKILL (default: ${DEFAULT-VALUE})")
    Duration grace;

    @Option(names = "--once", description = "run CMD at most once: exit when it ends or leadership is lost, instead of campaigning again")
    boolean once;

    @Option(names = "--restart-delay", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.NonNegative.class,
            description = "without --once, how long to wait after CMD ended before campaigning again (default: ${DEFAULT-VALUE})")
    Duration restartDelay;

    @Option(names = {"-v", "--verbose"}, description = "also report elections, resignations, CMD's exit, and renewal trouble")
    boolean verbose;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "the command to run and its arguments (after --, or after the options)")
    List<String> command;

    private final PrintStream err = System.err;
    private Child child;

    @Override
    public Integer call() throws Exception {
        LockArguments.check(spec, name, ttl);
        Logging.configure();
        child = new Child(command, grace, err);
        Driver<String> driver = backend.open(ttl);
        try {
            while (true) {
                Integer exit = campaignOnce(driver);
                if (exit != null) {
                    return exit;
                }
                try {
                    TimeUnit.NANOSECONDS.sleep(restartDelay.toNanos());
                } catch (InterruptedException e) {
                    return child.signalExit("INT");
                }
            }
        } finally {
            // As robit run: saying goodbye to an unreachable backend must not hold the exit up.
            Duration bound = ttl.dividedBy(3);
            if (!BoundedClose.close(driver, bound) && verbose) {
                err.println("robit: the backend did not close within " + Durations.format(bound) + "; exiting without waiting for it");
            }
        }
    }

    /** One election: win it, run CMD, resign. Returns the exit code, or null to campaign again. */
    private Integer campaignOnce(Driver<String> driver) throws InterruptedException {
        CompletableFuture<Loss> lost = new CompletableFuture<>();
        // Robit's logger stays silent: this command reports each event itself, in one format.
        LeaderElection.Builder<String> builder = LeaderElection.builder(name, ttl, driver)
                .onRevoked(lost::complete)
                .logger(NOPLogger.NOP_LOGGER);
        if (verbose) {
            builder.listener(new VerboseReporter(System.err));
        }
        try (LeaderElection<String> election = builder.build()) {
            election.start();
            Optional<Leadership> won = Optional.empty();
            try {
                while (won.isEmpty()) {
                    won = election.awaitLeadership(Duration.ofSeconds(1));
                }
            } catch (InterruptedException e) {
                return child.signalExit("INT");
            }
            return lead(won.get(), lost);
        }
    }

    private Integer lead(Leadership leadership, CompletableFuture<Loss> revoked) throws InterruptedException {
        if (verbose) {
            err.println("robit: leader of '" + name + "' (term " + leadership.term() + "); running " + String.join(" ", command));
        }
        Child.Start start = child.start(name, leadership.term());
        if (!start.started()) {
            return start.exitCode();
        }
        Process process = start.process();
        try {
            CompletableFuture.anyOf(process.onExit(), leadership.lost()).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for " + child.program() + " failed", e.getCause());
        } finally {
            Thread.interrupted(); // a signal while CMD ran is handled below, not by an interrupt
        }
        if (leadership.isLost()) {
            Loss loss = revoked.completeOnTimeout(null, 1, TimeUnit.SECONDS).join();
            String why = loss != null ? RunCommand.describe(loss) : "term " + leadership.term() + ", " + leadership.lossReason().orElseThrow();
            child.stopAfterLoss(process, "lost leadership of '" + name + "' (" + why + ")");
            child.ended();
            if (child.stopping()) {
                return process.exitValue();
            }
            return once ? ExitCode.LOST : null;
        }
        int status = process.exitValue();
        child.ended();
        // The caller closes the election at once: that resigns (another replica takes over) without
        // campaigning again, as Leadership.close() would.
        if (verbose) {
            err.println("robit: " + child.program() + " exited with " + status + "; resigned leadership of '" + name + "'");
        }
        return once || child.stopping() ? status : null;
    }
}
