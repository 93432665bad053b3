package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code robit run} and {@code robit status} against the servers CI runs (.ci/services): the same
 * command on every backend, selected by URI. Lock names are unique per run (the servers are shared).
 */
class ServerBackendsIT {
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

    static Stream<String> backends() {
        return Stream.of(
                env("ROBIT_TEST_REDIS_URI", "redis://127.0.0.1:6379?keyPrefix=robit-cli-test:"),
                env("ROBIT_TEST_PG_URI", "postgresql://postgres@127.0.0.1:5432/test?createTable=true"),
                env("ROBIT_TEST_MARIADB_URI", "mariadb://root@127.0.0.1:3306/test?createTable=true&sslMode=disable"),
                env("ROBIT_TEST_ETCD_URI", "etcd://127.0.0.1:2379"));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void secondRunWaitsForTheFirstAndStatusShowsTheHolder(String uri) throws Exception {
        String name = "cli-" + UUID.randomUUID();
        Cli.Run first = cli.start("run", "--backend", uri, "--name", name, "--ttl", "10s", "--", "sh", "-c",
                "echo $ROBIT_FENCING_TOKEN > first.txt; while [ ! -f release ]; do sleep 0.1; done");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("first.txt")) || !first.process().isAlive());
        assertThat(dir.resolve("first.txt")).as("the first run holds the lock on " + uri + "; its stderr: " + first.err()).exists();

        Cli.Run status = cli.run("status", "--backend", uri, name);
        Cli.Run second = cli.start("run", "--backend", uri, "--name", name, "--", "sh", "-c", "echo $ROBIT_FENCING_TOKEN > second.txt");
        await().atMost(Duration.ofSeconds(60)).until(() -> second.err().contains("waiting for lock '" + name + "': held by ")
                || !second.process().isAlive());
        assertThat(second.err()).contains("waiting for lock '" + name + "': held by ");
        Files.createFile(dir.resolve("release"));

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(dir.resolve("second.txt")).exists();
        long firstToken = Long.parseLong(Files.readString(dir.resolve("first.txt")).strip());
        long secondToken = Long.parseLong(Files.readString(dir.resolve("second.txt")).strip());
        assertThat(secondToken).isGreaterThan(firstToken);
        assertThat(status.exitCode()).as(status.err()).isZero();
        assertThat(status.out()).contains("lock '" + name + "' is held").containsPattern("token +" + firstToken)
                .as("one holder format on every backend: pid@host (detail)").containsPattern("holder +" + first.process().pid() + "@\\S+ \\(.+\\)");
    }

    /**
     * The robit command ships MariaDB Connector/J 4, which asks for TLS unless told otherwise: against the
     * test server (no TLS) a URI without {@code sslMode} must fail as unavailable and say how to connect.
     */
    @Test
    void aMariaDbServerWithoutTlsIsRefusedWithTheWayOut() {
        Cli.Run run = cli.run("status", "--backend", "mariadb://root@127.0.0.1:3306/test", "cli-tls-" + UUID.randomUUID());
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(run.err()).contains("mariadb").contains("sslMode=disable").doesNotContain("\tat ");
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
