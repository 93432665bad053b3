package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code robit} command with credentials: a password from the environment ({@code passwordEnv})
 * reaches a Redis of the test's own that has {@code requirepass}; a wrong password and malformed URIs
 * carrying one fail with their exit code, and nothing robit prints (verbose included) shows the password.
 */
class SecretsIT {
    private static final String PASSWORD = "cli-redis-" + UUID.randomUUID();
    private static final String WRONG = "cli-wrong-" + UUID.randomUUID();

    @TempDir
    static Path serverDir;
    private static Process redis;
    private static int port;

    @TempDir
    Path dir;
    private Cli cli;

    @BeforeAll
    static void startRedis() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", serverDir.toString(), "--requirepass", PASSWORD)
                .redirectErrorStream(true).redirectOutput(serverDir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!listening(port)) {
            if (!redis.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("redis-server did not start: " + Files.readString(serverDir.resolve("redis.log")));
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.destroyForcibly();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @BeforeEach
    void setUp() {
        cli = new Cli(dir);
    }

    @AfterEach
    void tearDown() {
        cli.killAll();
    }

    private Cli.Run robit(Map<String, String> env, String... args) {
        return cli.runWith(List.of(), env, args);
    }

    private static void assertShowsNoSecret(Cli.Run run) {
        for (String secret : List.of(PASSWORD, WRONG)) {
            assertThat(run.out() + run.err()).as("robit's output").doesNotContain(secret);
        }
    }

    @Test
    void aPasswordFromTheEnvironmentWorksAndIsNotPrinted() {
        Cli.Run run = robit(Map.of("ROBIT_TEST_REDIS_PW", PASSWORD), "run", "-v", "-n", "cli-sec-" + UUID.randomUUID(),
                "-b", "redis://127.0.0.1:" + port + "?keyPrefix=robit-cli-sec:&passwordEnv=ROBIT_TEST_REDIS_PW", "--", "true");
        assertThat(run.exitCode()).as("stderr: %s", run.err()).isZero();
        assertShowsNoSecret(run);
    }

    @Test
    void aWrongPasswordIsUnavailableAndNamedButNotShown() {
        Cli.Run run = robit(Map.of(), "run", "-v", "-n", "cli-sec-" + UUID.randomUUID(),
                "-b", "redis://" + WRONG + "@127.0.0.1:" + port + "?keyPrefix=robit-cli-sec:", "--", "true");
        assertThat(run.exitCode()).as("stderr: %s", run.err()).isEqualTo(69);
        assertThat(run.err()).contains("WRONGPASS");
        assertShowsNoSecret(run);
    }

    @Test
    void noPasswordIsNamed() {
        Cli.Run run = robit(Map.of(), "run", "-n", "cli-sec-" + UUID.randomUUID(),
                "-b", "redis://127.0.0.1:" + port + "?keyPrefix=robit-cli-sec:", "--", "true");
        assertThat(run.exitCode()).as("stderr: %s", run.err()).isEqualTo(69);
        assertThat(run.err()).contains("NOAUTH");
    }

    @Test
    void malformedUrisCarryingAPasswordDoNotShowIt() {
        // Each driver's parser is checked for this in its own unit tests; here, what the command prints.
        for (String uri : List.of("etcds://app:" + WRONG + "@h?cacert=/no/such/ca.pem", "postgresql://app:" + WRONG + "@")) {
            Cli.Run run = robit(Map.of(), "status", "-b", uri, "any");
            assertThat(run.exitCode()).as("%s: stderr %s", uri.replace(WRONG, "****"), run.err()).isEqualTo(64);
            assertShowsNoSecret(run);
        }
    }
}
