package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad arguments, unreachable backends, help and version: exit codes and one clear line. */
class ArgumentsIT {
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

    static Stream<Arguments> badArguments() {
        return Stream.of(
                Arguments.of(List.of("run"), "Missing required options and parameters: '--name=NAME', 'CMD'"),
                Arguments.of(List.of("run", "--name", "x"), "Missing required parameter: 'CMD'"),
                Arguments.of(List.of("run", "--name", "x", "--ttl", "0", "--", "true"), "'0' must be longer than zero"),
                Arguments.of(List.of("run", "--name", "x", "--ttl", "50ms", "--", "true"), "--ttl must be at least 100ms, got 50ms"),
                Arguments.of(List.of("run", "--name", "x", "--ttl", "900000h", "--", "true"), "--ttl must be at most 876000h (100 years), got 900000h"),
                Arguments.of(List.of("run", "--name", "x", "--ttl", "soon", "--", "true"), "'soon' is not a duration"),
                Arguments.of(List.of("run", "--name", "x", "--wait", "-1s", "--", "true"), "'-1s' is not a duration"),
                Arguments.of(List.of("run", "--name", "x", "--grace", "1y", "--", "true"), "'1y' is not a duration"),
                Arguments.of(List.of("run", "--bogus", "--name", "x", "--", "true"), "Unknown option: '--bogus'"),
                Arguments.of(List.of("run", "--name", "", "--", "true"), "--name must not be blank, got ''"),
                Arguments.of(List.of("run", "--name", "x", "--backend", "nosuch://host", "--", "true"), "no Robit driver for scheme 'nosuch'"),
                Arguments.of(List.of("run", "--name", "x", "--backend", "localhost:6379x", "--", "true"), "no Robit driver for scheme 'localhost'"),
                Arguments.of(List.of("run", "--name", "x", "--backend", "just-a-word", "--", "true"), "has no scheme; expected one of"),
                Arguments.of(List.of("run", "--name", "x", "--backend", "sqlite:", "--", "true"), "SQLite URIs are sqlite:PATH"),
                Arguments.of(List.of("run", "--name", "x", "--backend", "postgresql://", "--", "true"), "malformed backend URI"),
                Arguments.of(List.of("run", "--name", "x", "--backend", "postgresql://127.0.0.1", "--", "true"), "needs a host and a database"),
                Arguments.of(List.of("lead", "--name", "x", "--ttl", "50ms", "--", "true"), "--ttl must be at least 100ms, got 50ms"),
                Arguments.of(List.of("lead", "--name", "x", "--ttl", "900000h", "--", "true"), "--ttl must be at most 876000h (100 years), got 900000h"),
                Arguments.of(List.of("lead", "--name", "   ", "--", "true"), "--name must not be blank, got '   '"),
                Arguments.of(List.of("status"), "Missing required parameter: 'NAME'"),
                Arguments.of(List.of("nosuchcommand"), "Unmatched argument at index 0: 'nosuchcommand'"),
                Arguments.of(List.of(), "Usage: robit"));
    }

    @ParameterizedTest
    @MethodSource("badArguments")
    void badArgumentsExit64WithOneClearLine(List<String> args, String expected) {
        Cli.Run run = cli.run(args.toArray(String[]::new));

        assertThat(run.exitCode()).as(run.err()).isEqualTo(64);
        assertThat(run.err()).contains(expected);
        if (!args.isEmpty()) {
            assertThat(run.err().strip().lines()).as(run.err()).hasSize(1).allMatch(line -> line.startsWith("robit: "));
        }
    }

    @Test
    void unreachableBackendExits69() {
        // Port 1 on loopback: nothing listens there.
        Cli.Run run = cli.run("run", "--name", "x", "--wait", "0", "--backend", "postgresql://robit@127.0.0.1:1/robit?connectTimeout=2", "--", "true");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(69);
        assertThat(run.err().strip()).startsWith("robit: backend unavailable: ");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void unwritableSqliteFileExits69() {
        Cli.Run run = cli.run("run", "--name", "x", "--backend", "sqlite:/proc/robit-cannot-be-here/locks.db", "--", "true");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(69);
        assertThat(run.err()).startsWith("robit: backend unavailable: ");
    }

    @Test
    void everyCommandHasHelpWithExamplesAndExitCodes() {
        for (String command : List.of("run", "status", "list", "demo")) {
            Cli.Run run = cli.run(command, "--help");
            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).contains("Usage: robit " + command).contains("Exit codes:").contains("Example");
        }
        Cli.Run top = cli.run("--help");
        assertThat(top.exitCode()).isZero();
        assertThat(top.out()).contains("run", "status", "list", "demo").doesNotContain("demo-job");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        Cli.Run run = cli.run("--version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("robit 0.").contains("Java");
    }

    @Test
    void defaultBackendIsAnSqliteFileInTheStateDirectory() {
        // No --backend and no ROBIT_BACKEND: XDG_STATE_HOME decides.
        Cli.Run run = cli.runWithoutBackend("run", "--name", "default", "--", "true");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(dir.resolve("state/robit/robit.db")).exists();
    }
}
