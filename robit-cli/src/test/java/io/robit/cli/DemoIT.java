package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code robit demo} runs to its summary: a frozen holder loses the lock and its late write is refused. */
class DemoIT {
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
    void demoShowsLossAndFencingAndEndsWithACleanSummary() {
        Cli.Run demo = cli.start("demo");

        int code = demo.awaitExit(Duration.ofSeconds(150));

        String out = demo.out();
        assertThat(code).as(out + demo.err()).isZero();
        assertThat(out).contains("acquired lock 'demo' (token 1)")
                .contains("with SIGSTOP")
                .contains("lost lock 'demo'")
                .contains("REJECTED by the fence")
                .contains("robit run exited with 79 (lock lost: its job was stopped)")
                .containsPattern("acquisitions +[67] ")
                .containsPattern("losses +1 ")
                .containsPattern("stale writes refused +[1-9]")
                .contains("overlapping writes    none")
                .endsWith("OK\n");
    }
}
