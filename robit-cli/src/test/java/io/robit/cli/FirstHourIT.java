package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a new user met first (issue 19): malformed URIs, blank arguments, passwords, the state directory, -v, list. */
class FirstHourIT {
    private static final String SECRET = "s3cretPassw0rd";
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

    static Stream<Arguments> malformedUris() {
        return Stream.of(
                Arguments.of("redis://127.0.0.1:notaport", "port 'notaport' of '127.0.0.1:notaport' is not a number"),
                Arguments.of("redis://:" + SECRET + "@127.0.0.1:notaport", "port 'notaport'"),
                Arguments.of("redis://u:" + SECRET + "@%zz", "malformed escape pair at character"),
                Arguments.of("mysql://u:" + SECRET + "@[::1/db", "expected closing bracket for IPv6 address at character"),
                Arguments.of("etcd://u:" + SECRET + "@ho st:2379", "illegal character in authority at character"),
                Arguments.of("etcd://127.0.0.1:2379,127.0.0.1:x", "port 'x'"),
                Arguments.of("zookeeper://u:" + SECRET + "@h:1:2/x", "port '1:2'"),
                Arguments.of("postgresql://u:" + SECRET + "@h:x/db", "port 'x'"),
                Arguments.of("postgresql://u:" + SECRET + "@127.0.0.1:99999/db", "port '99999'"));
    }

    @ParameterizedTest
    @MethodSource("malformedUris")
    void malformedBackendUriExits64WithTheReasonInOneLineAndNoPassword(String uri, String reason) {
        Cli.Run run = cli.run("status", "-b", uri, "x");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(64);
        assertThat(run.err().strip().lines()).as(run.err()).hasSize(1);
        assertThat(run.err()).startsWith("robit: malformed backend URI '").contains(reason)
                .doesNotContain(SECRET).doesNotContain("URISyntaxException").doesNotContain(" at index ");
    }

    @Test
    void passwordsNeverShowInAnyMessage() {
        List<String[]> runs = List.of(
                new String[] {"status", "-b", "postgresql://u:" + SECRET + "@127.0.0.1:1/db?connectTimeout=1", "x"},
                new String[] {"status", "-b", "mariadb://u:" + SECRET + "@127.0.0.1:1/db?connectTimeout=1000", "x"},
                new String[] {"status", "-b", "postgresql://postgres:" + SECRET + "@127.0.0.1:5432/nosuchdb_firsthour", "x"},
                new String[] {"run", "-n", "x", "-w", "0", "-b", "redis://:" + SECRET + "@127.0.0.1:1", "--", "true"},
                new String[] {"run", "-n", "x", "-w", "0", "-b", "redis://:" + SECRET + "@127.0.0.1:6379", "--", "true"},
                new String[] {"list", "-b", "etcd://u:" + SECRET + "@127.0.0.1:1?connectTimeout=1s"},
                new String[] {"status", "-b", "nosuch://u:" + SECRET + "@host", "x"},
                new String[] {"status", "-b", "redis://u:" + SECRET + "@host?password=" + SECRET + "2", "x"});
        for (String[] args : runs) {
            Cli.Run run = cli.run(args);
            assertThat(run.exitCode()).as(run.err()).isIn(0, 64, 69);
            assertThat(run.out() + run.err()).as(String.join(" ", args)).doesNotContain(SECRET);
            if (run.exitCode() != 0) {
                assertThat(run.err()).as(String.join(" ", args)).startsWith("robit: ");
            }
        }
    }

    @Test
    void blankBackendAndBlankNamesAreUsageErrors() {
        Cli.Run emptyBackend = cli.run("run", "-n", "x", "-b", "", "--", "true");
        assertThat(emptyBackend.exitCode()).as(emptyBackend.err()).isEqualTo(64);
        assertThat(emptyBackend.err()).startsWith("robit: --backend must name a backend URI, got ''");
        assertThat(dir.resolve("state")).doesNotExist();

        Cli.Run blankName = cli.run("run", "-n", "   ", "--", "true");
        assertThat(blankName.exitCode()).as(blankName.err()).isEqualTo(64);
        assertThat(blankName.err()).contains("--name must not be blank, got '   '");

        Cli.Run blankStatus = cli.run("status", "  ");
        assertThat(blankStatus.exitCode()).as(blankStatus.err()).isEqualTo(64);
        assertThat(blankStatus.err()).contains("NAME must not be blank");
    }

    @Test
    void defaultStateDirectoryFollowsHomeAndXdgStateHomeFromTheEnvironment() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path jvmHome = Files.createDirectories(dir.resolve("jvm-home"));
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("XDG_STATE_HOME", null);
        Cli.Run run = cli.runWith(List.of("-Duser.home=" + jvmHome), env, "run", "-n", "home-lock", "--", "true");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(home.resolve(".local/state/robit/robit.db")).exists();
        assertThat(jvmHome.resolve(".local")).doesNotExist();

        Path state = dir.resolve("xdg-state");
        env.put("XDG_STATE_HOME", state.toString());
        run = cli.runWith(List.of("-Duser.home=" + jvmHome), env, "run", "-n", "xdg-lock", "--", "true");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(state.resolve("robit/robit.db")).exists();

        env.put("XDG_STATE_HOME", "relative/state"); // the spec says to ignore a relative path
        run = cli.runWith(List.of(), env, "status", "xdg-lock");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.out()).contains("never taken on sqlite:" + home.resolve(".local/state/robit/robit.db"));
    }

    @Test
    void verboseLossIsOneLineInOneFormat() throws Exception {
        Cli.Run run = cli.start("run", "-v", "--name", "verbose-loss", "--ttl", "2s", "--grace", "5s", "--", "sh", "-c",
                "touch started; while true; do sleep 0.1; done");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("started")));
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("locks.db") + "?busy_timeout=10000");
                PreparedStatement steal = db.prepareStatement("UPDATE robit_locks SET owner = 'intruder' WHERE name = ?")) {
            steal.setString(1, "verbose-loss");
            assertThat(steal.executeUpdate()).isEqualTo(1);
        }
        assertThat(run.awaitExit(LONG)).as(run.err()).isEqualTo(79);
        List<String> lines = run.err().lines().toList();
        assertThat(lines).as(run.err()).allMatch(line -> line.startsWith("robit: "));
        assertThat(lines).as(run.err()).filteredOn(line -> line.contains("lost")).hasSize(1);
        assertThat(run.err()).doesNotContain("[ERROR]").doesNotContain("[WARN]").doesNotContain("\tat ");
    }

    @Test
    void listFiltersByPrefixOrGlob() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        for (String name : List.of("report-" + tag + "-daily", "report-" + tag + "-weekly", "other-" + tag)) {
            assertThat(cli.run("run", "-n", name, "--", "true").exitCode()).isZero();
        }
        Cli.Run prefix = cli.run("list", "report-" + tag);
        assertThat(prefix.exitCode()).as(prefix.err()).isZero();
        assertThat(prefix.out()).contains("report-" + tag + "-daily").contains("report-" + tag + "-weekly").doesNotContain("other-");

        Cli.Run glob = cli.run("list", "*-" + tag + "-w?ekly");
        assertThat(glob.exitCode()).as(glob.err()).isZero();
        assertThat(glob.out().lines().toList()).hasSize(2).last().asString().startsWith("report-" + tag + "-weekly ");

        Cli.Run none = cli.run("list", "nothing-like-this-*");
        assertThat(none.out().lines().toList()).hasSize(1).first().asString().startsWith("NAME");
    }

    @Test
    void missingLeaseTableAdviceIsInTheTermsOfTheUri() {
        String table = "robit_fh_missing_" + UUID.randomUUID().toString().substring(0, 8).replace('-', '_');
        String uri = "postgresql://postgres@127.0.0.1:5432/test?table=" + table;
        for (String[] args : List.of(new String[] {"list", "-b", uri}, new String[] {"run", "-n", "x", "-b", uri, "--", "true"})) {
            Cli.Run run = cli.run(args);
            assertThat(run.exitCode()).as(run.err()).isEqualTo(69);
            assertThat(run.err().strip().lines()).hasSize(1);
            assertThat(run.err()).contains("lease table '" + table + "' does not exist")
                    .contains("add ?createTable=true to the backend URI").contains("CREATE TABLE")
                    .doesNotContain("JdbcDriver.builder");
        }
    }

    @Test
    void redisAuthenticationFailuresShowTheServersAnswer() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--requirepass", SECRET, "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            int redisPort = port;
            await().atMost(LONG).until(() -> {
                try (java.net.Socket probe = new java.net.Socket("127.0.0.1", redisPort)) {
                    return true;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            Cli.Run noPassword = cli.run("status", "-b", "redis://127.0.0.1:" + port, "x");
            assertThat(noPassword.exitCode()).as(noPassword.err()).isEqualTo(69);
            assertThat(noPassword.err()).contains("127.0.0.1:" + port).contains("NOAUTH").doesNotContain("<unresolved>");

            Cli.Run wrongPassword = cli.run("status", "-b", "redis://:wrong-" + SECRET + "@127.0.0.1:" + port, "x");
            assertThat(wrongPassword.exitCode()).as(wrongPassword.err()).isEqualTo(69);
            assertThat(wrongPassword.err()).contains("WRONGPASS").doesNotContain("<unresolved>").doesNotContain(SECRET);

            Cli.Run right = cli.run("status", "-b", "redis://:" + SECRET + "@127.0.0.1:" + port, "x");
            assertThat(right.exitCode()).as(right.err()).isEqualTo(1);
        } finally {
            redis.destroy();
            redis.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void statusShowsTheHolderAsPidAtHost() throws Exception {
        Cli.Run holder = cli.start("run", "-n", "who", "--", "sh", "-c", "touch started; while [ ! -f release ]; do sleep 0.1; done");
        await().atMost(LONG).until(() -> Files.exists(dir.resolve("started")));
        Cli.Run status = cli.run("status", "who");
        Files.createFile(dir.resolve("release"));
        assertThat(holder.exitCode()).isZero();
        assertThat(status.exitCode()).as(status.err()).isZero();
        assertThat(status.out()).containsPattern("holder +" + holder.process().pid() + "@\\S+ \\(.+\\)");
    }
}
