package io.robit.cli;

import io.robit.AlreadyReleasedException;
import io.robit.Held;
import io.robit.Loss;
import io.robit.Mutex;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.LockInfo;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.helpers.NOPLogger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code robit run}: acquires the lock, runs CMD while renewing it, releases it when CMD exits, and
 * stops CMD if the lock is lost. One instance per invocation; CMD and the signals robit gets are
 * its {@link Child}'s.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs CMD while holding lock NAME. Waits up to --wait for the lock, saying on stderr who holds it. "
                + "Gives CMD the fencing token in $ROBIT_FENCING_TOKEN and the lock name in $ROBIT_LOCK_NAME, renews the lease "
                + "every ttl/3 while CMD runs, forwards SIGTERM (and, when not on a terminal, SIGINT and SIGHUP) to CMD, "
                + "releases the lock when CMD exits, and exits with CMD's status.",
            "If the lock is lost (lease expired or taken over, backend unreachable for longer than the lease), robit says why "
                + "on stderr, sends SIGTERM to CMD and its child processes, SIGKILL after --grace, and exits 79.",
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {ExitCode.LINE_CMD, ExitCode.LINE_USAGE, ExitCode.LINE_UNAVAILABLE, ExitCode.LINE_SOFTWARE,
            ExitCode.LINE_NOT_ACQUIRED, ExitCode.LINE_LOST, ExitCode.LINE_EXEC, ExitCode.LINE_SIGNAL},
        footer = {
            "",
            "Examples:",
            "  # cron: one host runs the report; the others skip it (exit 75)",
            "  robit run --name nightly-report --wait 0 -- /opt/app/report.sh --full",
            "",
            "  # wait up to 10 minutes, with a 2-minute lease on a shared Redis",
            "  robit run -n migrate -w 10m --ttl 2m -b redis://db1:6379 -- ./migrate.sh",
            "",
            "  # hand the fencing token to the protected resource",
            "  robit run -n ledger -- sh -c './apply.sh --token \"$ROBIT_FENCING_TOKEN\"'",
        })
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--name"}, required = true, paramLabel = "NAME", description = "the lock's name")
    String name;

    @Mixin
    BackendOption backend;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.Positive.class,
            description = "lease length: if robit stops renewing (crash, pause, partition), others may take the lock "
                + "this long after the last renewal (default: ${DEFAULT-VALUE}; at least 100ms). On ZooKeeper robit asks for a "
                + "session timeout of the ttl, which the server rounds into 2 to 20 ticks (4s to 40s with tickTime=2000): "
                + "that is how long a crashed holder keeps the lock there")
    Duration ttl;

    @Option(names = {"-w", "--wait"}, paramLabel = "DURATION|forever", defaultValue = "forever", converter = Durations.Wait.class,
            description = "how long to wait for the lock; 0 makes one attempt (default: ${DEFAULT-VALUE}); exit 75 when it runs out")
    Duration wait;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "10s", converter = Durations.NonNegative.class,
            description = "after a loss, how long CMD has between SIGTERM and SIGKILL (default: ${DEFAULT-VALUE})")
    Duration grace;

    @Option(names = {"-q", "--quiet"}, description = "do not report on stderr who holds the lock while waiting")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "also report acquiring, releasing, CMD's exit, and renewal trouble")
    boolean verbose;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "the command to run and its arguments (after --, or after the options)")
    List<String> command;

    private final PrintStream err = System.err;
    private final CompletableFuture<Loss> lost = new CompletableFuture<>();
    private Child child;

    @Override
    public Integer call() throws Exception {
        LockArguments.check(spec, name, ttl);
        Logging.configure();
        child = new Child(command, grace, err);
        Driver<String> driver = backend.open(ttl, wait);
        try {
            // Robit's logger stays silent: this command reports each event itself, once (a loss below,
            // renewal trouble through the VerboseReporter).
            Mutex.Builder<String> builder = Mutex.builder(name, ttl, driver)
                    .onLost(lost::complete)
                    .logger(NOPLogger.NOP_LOGGER);
            if (verbose) {
                builder.listener(new VerboseReporter(err));
            }
            Mutex<String> mutex = builder.build();
            Optional<Held> held;
            try {
                held = acquire(mutex, driver);
            } catch (InterruptedException e) {
                return child.signalExit("INT");
            }
            if (held.isEmpty()) {
                err.println("robit: lock '" + name + "' " + (wait.isZero() ? "is held elsewhere (--wait 0)" : "not acquired within "
                        + Durations.format(wait) + " (--wait)") + "; not running " + child.program() + holder(driver));
                return ExitCode.NOT_ACQUIRED;
            }
            return runHolding(mutex, held.get());
        } finally {
            // Every backend request is bounded by ttl/3; so is saying goodbye, and after a loss less.
            Duration bound = lost.isDone() ? BoundedClose.AFTER_LOSS : ttl.dividedBy(3);
            if (!BoundedClose.close(driver, bound) && verbose) {
                err.println("robit: the backend did not close within " + Durations.format(bound) + "; exiting without waiting for it");
            }
        }
    }

    @SuppressWarnings("try") // the reporter only needs closing
    private Optional<Held> acquire(Mutex<String> mutex, Driver<String> driver) throws InterruptedException {
        Optional<Held> held = mutex.tryLock();
        if (held.isPresent() || wait.isZero()) {
            return held;
        }
        try (WaitReporter reporter = quiet ? null : WaitReporter.start(driver, name, err)) {
            return mutex.tryLock(wait);
        }
    }

    private int runHolding(Mutex<String> mutex, Held held) throws InterruptedException {
        if (verbose) {
            err.println("robit: acquired lock '" + name + "' (token " + held.fencingToken() + "); running " + String.join(" ", command));
        }
        Child.Start start = child.start(name, held.fencingToken());
        if (!start.started()) {
            mutex.unlock();
            return start.exitCode();
        }
        Process process = start.process();

        CompletableFuture<Object> first = CompletableFuture.anyOf(process.onExit(), lost);
        try {
            first.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for " + child.program() + " failed", e.getCause());
        }
        if (lost.isDone()) {
            child.stopAfterLoss(process, "lost lock '" + name + "' (" + describe(lost.join()) + ")");
            return ExitCode.LOST;
        }
        int status = process.exitValue();
        try {
            mutex.unlock();
        } catch (AlreadyReleasedException e) {
            // Lost between CMD's exit and the unlock: CMD may have run past the lease.
            Loss loss = lost.getNow(null);
            err.println("robit: lock '" + name + "' was lost before " + child.program() + " finished"
                    + (loss == null ? "" : " (" + describe(loss) + ")") + "; it exited with " + status);
            return ExitCode.LOST;
        }
        if (verbose) {
            err.println("robit: " + child.program() + " exited with " + status + "; released lock '" + name + "'");
        }
        return status;
    }

    /** {@code "; held by OWNER (token N)"} where the backend can say, else nothing. */
    private String holder(Driver<String> driver) {
        if (!(driver instanceof Inspectable<?>)) {
            return "";
        }
        try {
            @SuppressWarnings("unchecked")
            Optional<LockInfo> info = ((Inspectable<String>) driver).inspect(name);
            return info.filter(LockInfo::held)
                    .map(lock -> "; held by " + lock.owner().map(Holders::describe).orElse("?") + " (token " + lock.fencingToken() + ")").orElse("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    static String describe(Loss loss) {
        String why = switch (loss.reason()) {
            case EXPIRED -> "the lease expired before it was renewed";
            case TAKEN_OVER -> "another holder has it now";
            case GONE -> "the backend no longer has the lease";
            case DEADLINE_PASSED -> "no renewal succeeded within the lease; the backend may be unreachable or this process was paused";
        };
        String cause = loss.cause().map(Throwable::getMessage).filter(m -> m != null && !m.isBlank())
                .map(m -> " [" + Robit.oneLine(m) + "]").orElse("");
        return loss.reason() + ", token " + loss.fencingToken() + ": " + why + cause;
    }

}
