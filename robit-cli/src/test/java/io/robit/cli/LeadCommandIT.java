package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code robit lead} as three real replica processes over one SQLite file. */
class LeadCommandIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    // CMD: logs "PID TERM" to the file given as $0, logs "stopped" on SIGTERM, otherwise runs forever.
    private static final String SERVICE = "echo \"$$ $ROBIT_FENCING_TOKEN\" >> \"$0\"; "
            + "trap 'echo stopped >> \"$0\"; exit 0' TERM; while :; do sleep 0.1; done";

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

    // A 6 s lease: short enough for a quick takeover, long enough that three JVMs starting on a busy
    // 2-core machine do not lose it by starvation alone.
    @Test
    void exactlyOneReplicaRunsCmdAndAFrozenLeaderIsReplacedAndStoppedWhenItResumes() throws Exception {
        List<Cli.Run> replicas = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            replicas.add(cli.start("lead", "--name", "svc", "--ttl", "6s", "--grace", "2s", "--", "sh", "-c", SERVICE, log(i).toString()));
        }
        await().atMost(LONG).until(() -> runningCmds() == 1);
        // Still exactly one a while later: the others keep campaigning without running CMD.
        await().during(Duration.ofSeconds(3)).atMost(LONG).until(() -> runningCmds() == 1 && startedCmds() == 1);
        int leader = leaderIndex().orElseThrow();
        long frozenCmd = firstPid(leader);
        long firstTerm = firstTerm(leader);

        assertThat(Signals.send("STOP", replicas.get(leader).process().pid())).isTrue();
        try {
            // Another replica takes over once the frozen leader's lease has expired.
            await().atMost(LONG).until(() -> startedCmds() == 2);
        } finally {
            assertThat(Signals.send("CONT", replicas.get(leader).process().pid())).isTrue();
        }
        int successor = otherStarted(leader).orElseThrow();
        assertThat(firstTerm(successor)).isGreaterThan(firstTerm);

        // On resuming, the frozen replica finds its leadership lost and stops its CMD.
        await().atMost(LONG).until(() -> !ProcessHandle.of(frozenCmd).map(ProcessHandle::isAlive).orElse(false));
        assertThat(read(log(leader))).contains("stopped");
        await().atMost(LONG).until(() -> replicas.get(leader).err().contains("robit: lost leadership of 'svc'"));
        assertThat(replicas.get(leader).err()).contains("stopping sh (pid " + frozenCmd + ") with SIGTERM");
        await().during(Duration.ofSeconds(2)).atMost(LONG).until(() -> runningCmds() == 1);
        assertThat(replicas.get(leader).process().isAlive()).as("it campaigns again").isTrue();
    }

    @Test
    void onceExitsWithCmdsStatusAndMissingCmdIs127() {
        Cli.Run once = cli.run("lead", "--name", "job", "--once", "--", "sh", "-c", "echo \"$ROBIT_LOCK_NAME $ROBIT_FENCING_TOKEN\" > env.txt; exit 5");
        assertThat(once.exitCode()).as(once.err()).isEqualTo(5);
        assertThat(read(dir.resolve("env.txt")).strip()).isEqualTo("job 1");

        Cli.Run missing = cli.run("lead", "--name", "job", "--", "no-such-command-robit");
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.err()).contains("robit: cannot run 'no-such-command-robit': command not found");

        Cli.Run badTtl = cli.run("lead", "--name", "job", "--ttl", "10ms", "--", "true");
        assertThat(badTtl.exitCode()).isEqualTo(64);
    }

    private Path log(int replica) {
        return dir.resolve("cmd-" + replica + ".log");
    }

    private int startedCmds() {
        int started = 0;
        for (int i = 0; i < 3; i++) {
            started += (int) lines(i).stream().filter(line -> !line.equals("stopped")).count();
        }
        return started;
    }

    private int runningCmds() {
        int running = 0;
        for (int i = 0; i < 3; i++) {
            for (String line : lines(i)) {
                if (!line.equals("stopped") && ProcessHandle.of(Long.parseLong(line.split(" ")[0])).map(ProcessHandle::isAlive).orElse(false)) {
                    running++;
                }
            }
        }
        return running;
    }

    private Optional<Integer> leaderIndex() {
        for (int i = 0; i < 3; i++) {
            if (!lines(i).isEmpty()) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    private Optional<Integer> otherStarted(int except) {
        for (int i = 0; i < 3; i++) {
            if (i != except && !lines(i).isEmpty()) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    private long firstPid(int replica) {
        return Long.parseLong(lines(replica).get(0).split(" ")[0]);
    }

    private long firstTerm(int replica) {
        return Long.parseLong(lines(replica).get(0).split(" ")[1]);
    }

    private List<String> lines(int replica) {
        String text = read(log(replica));
        return text.isBlank() ? List.of() : text.lines().filter(line -> !line.isBlank()).toList();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
