package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Drivers;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processes on one host share a SQLite lock file correctly: two JVMs contend on one new file
 * (WAL, busy timeout) with no lost update and distinct growing tokens, and a killed holder's lock
 * is taken over after its ttl. The children run without the PostgreSQL or MariaDB JDBC drivers.
 */
class MultiProcessSqliteIT {
    @TempDir
    Path dir;

    @Test
    void twoJvmsContendOnOneFileWithoutLostUpdates() throws Exception {
        Path db = dir.resolve("locks.db"); // created by the children themselves, concurrently
        Path counter = Files.writeString(dir.resolve("counter.txt"), "0");
        Path go = dir.resolve("go");
        int rounds = 100;
        List<Process> children = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            children.add(child(i, "count", db.toString(), "shared", Integer.toString(rounds), counter.toString(),
                    dir.resolve("tokens-" + i + ".txt").toString(), go.toString()));
        }
        // Both JVMs are up and have opened the file before either starts counting.
        await("both children ready").atMost(Duration.ofSeconds(60)).until(() -> out(0).contains("ready") && out(1).contains("ready"));
        assertThat(out(0)).as("the child runs without the PostgreSQL JDBC driver").contains("postgresql driver absent");
        Files.writeString(go, "go");
        for (int i = 0; i < children.size(); i++) {
            assertThat(finish(children.get(i))).as("child %d exit code; log:%n%s", i, log(i)).isZero();
        }
        assertThat(Files.readString(counter).trim()).as("no lost update").isEqualTo(Integer.toString(2 * rounds));
        Set<Long> all = new HashSet<>();
        for (int i = 0; i < 2; i++) {
            List<Long> tokens = Files.readAllLines(dir.resolve("tokens-" + i + ".txt")).stream().map(Long::parseLong).toList();
            assertThat(tokens).hasSize(rounds).isSorted().doesNotHaveDuplicates();
            all.addAll(tokens);
        }
        assertThat(all).as("tokens are unique across processes").hasSize(2 * rounds);
    }

    @Test
    void aKilledHoldersLockIsTakenAfterItsTtl() throws Exception {
        Path db = dir.resolve("locks.db");
        Process holder = child(0, "hold", db.toString(), "crashy", "1500");
        long heldToken;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine(); // bounded: the child times out its own wait after 60 s
            for (int i = 0; i < 10 && line != null && !line.startsWith("held "); i++) {
                line = out.readLine();
            }
            assertThat(line).as("child log:%n%s", log(0)).startsWith("held ");
            heldToken = Long.parseLong(line.substring("held ".length()));
            holder.destroyForcibly();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (Driver<String> driver = Drivers.open("sqlite:" + db)) {
            long killedAt = System.nanoTime();
            Optional<Lease> lease = Optional.empty();
            for (int i = 0; i < 200 && lease.isEmpty(); i++) {
                driver.awaitRelease("crashy", Duration.ofSeconds(10));
                lease = driver.acquire("crashy", Duration.ofSeconds(10), Duration.ofSeconds(5));
            }
            assertThat(lease).isPresent();
            assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(Duration.ofSeconds(10));
            assertThat(lease.get().fencingToken()).isGreaterThan(heldToken);
            driver.release(lease.get());
        }
    }

    private Process child(int index, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", childClasspath(), SqliteContender.class.getName()));
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(dir.resolve("child-" + index + ".log").toFile());
        if (!args[0].equals("hold")) {
            builder.redirectOutput(dir.resolve("child-" + index + ".out").toFile());
        }
        return builder.start();
    }

    private static int finish(Process child) throws InterruptedException {
        if (!child.waitFor(150, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            return -1;
        }
        return child.exitValue();
    }

    private String out(int index) throws IOException {
        Path out = dir.resolve("child-" + index + ".out");
        return Files.exists(out) ? Files.readString(out) : "";
    }

    private String log(int index) throws IOException {
        Path log = dir.resolve("child-" + index + ".log");
        return Files.exists(log) ? Files.readString(log) : "(none)";
    }

    /** The test classpath without the server databases' JDBC drivers: SQLite alone must do. */
    private static String childClasspath() {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !entry.contains("postgresql") && !entry.contains("mariadb"))
                .collect(Collectors.joining(File.pathSeparator));
    }
}
