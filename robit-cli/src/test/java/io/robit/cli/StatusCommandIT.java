package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code robit status} and {@code robit list} over an SQLite file, while another process holds a lock. */
class StatusCommandIT {
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
    void statusShowsTheHolderAndTokenWhileHeldAndFreeAfter() {
        Cli.Run holder = cli.start("run", "--name", "report", "--ttl", "20s", "--", "sh", "-c", "touch held; sleep 30");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("held")));

        Cli.Run held = cli.run("status", "report");
        Cli.Run list = cli.run("list");

        assertThat(held.exitCode()).as(held.err()).isZero();
        assertThat(held.out()).contains("lock 'report' is held")
                .containsPattern("holder +" + holder.process().pid() + "@")
                .containsPattern("expires in +\\d+(\\.\\d)?s unless renewed")
                .containsPattern("token +1");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out()).containsPattern("(?m)^NAME +STATE +TOKEN +EXPIRES IN +HOLDER$")
                .containsPattern("(?m)^report +held +1 +\\d+(\\.\\d)?s +" + holder.process().pid() + "@");

        holder.process().destroy();
        assertThat(holder.awaitExit(Duration.ofSeconds(60))).isEqualTo(143); // sleep's status after the forwarded SIGTERM

        Cli.Run free = cli.run("status", "report");
        assertThat(free.exitCode()).isEqualTo(1);
        assertThat(free.out().strip()).isEqualTo("lock 'report' is free (last token 1)");
        Cli.Run heldOnly = cli.run("list", "--held");
        assertThat(heldOnly.out().strip().lines()).hasSize(1);
    }

    @Test
    void statusOfALockNeverTaken() {
        Cli.Run run = cli.run("status", "never");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).startsWith("lock 'never' is free (never taken on sqlite:");
    }
}
