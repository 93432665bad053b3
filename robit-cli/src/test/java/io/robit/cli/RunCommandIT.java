package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code robit run} as real processes over an SQLite file: the lock, the child, signals, loss, exit codes. */
class RunCommandIT {
    private static final Duration LONG = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Cli cli;

    @BeforeEach
    void setUp() {
        cli = new Cli(dir);
    }

    @AfterEach
    void tearDown() {
        cli.killAll();
    }

    @Test
    void childGetsTheTokenAndNameInItsEnvironmentAndRobitExitsWithItsStatus() throws Exception {
        String script = "echo \"$ROBIT_LOCK_NAME $ROBIT_FENCING_TOKEN\" >> env.txt; exit 7";

        Cli.Run first = cli.run("run", "--name", "env-test", "--", "sh", "-c", script);
        Cli.Run second = cli.run("run", "--name", "env-test", "sh", "-c", script); // no `--` needed

        assertThat(first.exitCode()).as(first.err()).isEqualTo(7);
        assertThat(second.exitCode()).as(second.err()).isEqualTo(7);
        assertThat(Files.readAllLines(dir.resolve("env.txt"))).containsExactly("env-test 1", "env-test 2");
    }

    @Test
    void secondRunWaitsForTheFirstThenRuns() throws Exception {
        Cli.Run first = cli.start("run", "--name", "contended", "--", "sh", "-c",
                "echo first-start >> order.txt; while [ ! -f release ]; do sleep 0.1; done; echo first-end >> order.txt");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("order.txt")));

        Cli.Run second = cli.start("run", "--name", "contended", "--", "sh", "-c", "echo second >> order.txt");
        await().atMost(LONG).until(() -> second.err().contains("waiting for lock 'contended'"));
        Files.createFile(dir.resolve("release"));

        assertThat(second.awaitExit(LONG)).as(second.err()).isZero();
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(Files.readAllLines(dir.resolve("order.txt"))).containsExactly("first-start", "first-end", "second");
        assertThat(second.err()).contains("waiting for lock 'contended': held by ").contains("(token 1)");
    }

    @Test
    void notAcquiredWithinWaitExits75WithoutRunningTheCommand() throws Exception {
        Cli.Run holder = cli.start("run", "--name", "busy", "--", "sh", "-c", "touch held; sleep 30");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("held")));

        Cli.Run once = cli.run("run", "--name", "busy", "--wait", "0", "--", "touch", "ran-once");
        Cli.Run waited = cli.run("run", "--name", "busy", "--wait", "1s", "--", "touch", "ran-waited");

        assertThat(once.exitCode()).isEqualTo(75);
        assertThat(once.err().strip()).startsWith("robit: lock 'busy' is held elsewhere (--wait 0); not running touch; held by ");
        assertThat(waited.exitCode()).isEqualTo(75);
        assertThat(waited.err()).contains("robit: lock 'busy' not acquired within 1s (--wait)");
        assertThat(dir.resolve("ran-once")).doesNotExist();
        assertThat(dir.resolve("ran-waited")).doesNotExist();
        holder.process().destroy();
    }

    @Test
    void leaseBrokenBehindItsBackStopsTheCommandAndExits79() throws Exception {
        // The command ignores SIGTERM, so robit must fall back to SIGKILL after --grace.
        Cli.Run run = cli.start("run", "--name", "broken", "--ttl", "2s", "--grace", "1s", "--", "sh", "-c",
                "trap '' TERM; echo $$ > pid.txt; while true; do sleep 0.1; done");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("pid.txt")) && !Files.readString(dir.resolve("pid.txt")).isBlank());
        long childPid = Long.parseLong(Files.readString(dir.resolve("pid.txt")).strip());

        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("locks.db") + "?busy_timeout=10000");
                PreparedStatement steal = db.prepareStatement("UPDATE robit_locks SET owner = 'intruder' WHERE name = ?")) {
            steal.setString(1, "broken");
            assertThat(steal.executeUpdate()).isEqualTo(1);
        }

        assertThat(run.awaitExit(LONG)).as(run.err()).isEqualTo(79);
        assertThat(run.err()).contains("robit: lost lock 'broken' (TAKEN_OVER, token 1: another holder has it now")
                .contains("intruder")
                .contains("stopping sh (pid " + childPid + ") with SIGTERM, SIGKILL after 1s")
                .contains("still running after 1s (--grace); sending SIGKILL");
        await().atMost(LONG).until(() -> ProcessHandle.of(childPid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void commandThatStopsOnSigtermIsNotKilledAndItsChildrenAreStoppedToo() throws Exception {
        Cli.Run run = cli.start("run", "--name", "polite", "--ttl", "2s", "--grace", "20s", "--", "sh", "-c",
                "sleep 120 & echo $! > background.txt; trap 'echo stopped > stopped.txt; exit 0' TERM; touch started; "
                        + "while true; do sleep 0.1; done");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("started")));
        long background = Long.parseLong(Files.readString(dir.resolve("background.txt")).strip());
        assertThat(ProcessHandle.of(background)).as("the command's own child runs").isPresent();

        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("locks.db") + "?busy_timeout=10000");
                PreparedStatement delete = db.prepareStatement("DELETE FROM robit_locks WHERE name = ?")) {
            delete.setString(1, "polite");
            delete.executeUpdate();
        }

        assertThat(run.awaitExit(LONG)).as(run.err()).isEqualTo(79);
        assertThat(run.err()).contains("robit: lost lock 'polite' (GONE").doesNotContain("sending SIGKILL");
        assertThat(dir.resolve("stopped.txt")).hasContent("stopped");
        await().atMost(LONG).until(() -> ProcessHandle.of(background).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void sigtermAndSigintAreForwardedToTheCommandAndTheLockIsReleased() throws Exception {
        for (String signal : List.of("TERM", "INT")) {
            Path ready = dir.resolve("ready-" + signal);
            Cli.Run run = cli.start("run", "--name", "signals", "--", "sh", "-c",
                    "trap 'echo got-" + signal + " > got.txt; exit 42' " + signal + "; touch " + ready.getFileName()
                            + "; while true; do sleep 0.1; done");
            await().atMost(LONG).until(() -> Files.exists(ready));

            assertThat(Signals.send(signal, run.process().pid())).isTrue();

            int exit;
            try {
                exit = run.awaitExit(LONG);
            } catch (AssertionError hung) {
                throw new AssertionError("after SIG" + signal + ": " + hung.getMessage(), hung);
            }
            assertThat(exit).as(run.err()).isEqualTo(42);
            assertThat(dir.resolve("got.txt")).hasContent("got-" + signal);
            Cli.Run next = cli.run("run", "--name", "signals", "--wait", "0", "--", "true");
            assertThat(next.exitCode()).as("released after the command exited: " + next.err()).isZero();
        }
    }

    @Test
    void aForwardedSignalArrivesEvenWhenStartingKillIsSlow() throws Exception {
        // robit forwards SIGINT with sh's kill. On a starved host starting that process can take
        // seconds; a `sh` first on robit's PATH that takes 6 s to start stands for it here. (CMD uses
        // /bin/sh, so only the forwarding is slow.)
        Path bin = Files.createDirectories(dir.resolve("slow-bin"));
        Path slowSh = bin.resolve("sh");
        Files.writeString(slowSh, "#!/bin/sh\nsleep 6\nexec /bin/sh \"$@\"\n");
        assertThat(slowSh.toFile().setExecutable(true)).isTrue();
        Cli.Run run = cli.startWith(Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH")), "run", "--name", "slow-kill", "--",
                "/bin/sh", "-c", "trap 'echo got-INT > got.txt; exit 42' INT; touch ready; while true; do sleep 0.1; done");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("ready")));

        assertThat(Signals.send("INT", run.process().pid())).isTrue();

        assertThat(run.awaitExit(LONG)).as(run.err()).isEqualTo(42);
        assertThat(dir.resolve("got.txt")).hasContent("got-INT");
        assertThat(run.err()).doesNotContain("could not forward");
    }

    @Test
    void signalWhileWaitingStopsWaitingWith128PlusSignal() throws Exception {
        Cli.Run holder = cli.start("run", "--name", "patient", "--", "sh", "-c", "touch held; sleep 30");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("held")));
        Cli.Run waiter = cli.start("run", "--name", "patient", "--", "touch", "ran");
        await().atMost(LONG).until(() -> waiter.err().contains("waiting for lock 'patient'"));

        waiter.process().destroy(); // SIGTERM

        assertThat(waiter.awaitExit(LONG)).isEqualTo(128 + 15);
        assertThat(dir.resolve("ran")).doesNotExist();
        holder.process().destroy();
    }

    @Test
    void commandNotFoundExits127AndReleases() {
        Cli.Run run = cli.run("run", "--name", "missing", "--", "no-such-command-robit-test");
        assertThat(run.exitCode()).isEqualTo(127);
        assertThat(run.err().strip()).isEqualTo("robit: cannot run 'no-such-command-robit-test': command not found");
        assertThat(cli.run("run", "--name", "missing", "--wait", "0", "--", "true").exitCode()).isZero();
    }

    @Test
    void commandNotExecutableExits126() throws Exception {
        Files.writeString(dir.resolve("not-executable.sh"), "#!/bin/sh\necho ran\n"); // no execute bit, even for root

        Cli.Run run = cli.run("run", "--name", "noexec", "--", "./not-executable.sh");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(126);
        assertThat(run.err().strip()).startsWith("robit: cannot run './not-executable.sh': ").contains("Permission denied");
    }

    @Test
    void verboseReportsAcquiringAndReleasing() {
        Cli.Run run = cli.run("run", "-v", "--name", "chatty", "--", "true");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).contains("robit: acquired lock 'chatty' (token 1); running true")
                .contains("robit: true exited with 0; released lock 'chatty'");
    }
}
