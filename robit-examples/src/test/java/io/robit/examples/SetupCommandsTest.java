package io.robit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's two set-up commands: {@code ./robit demo} and {@code ./test}, the one CI runs; and
 * {@code ./test} says clearly, without trying, when installing a server needs root.
 */
class SetupCommandsTest {
    private final Path root = SnippetsTest.repositoryRoot();

    @Test
    void readmeHasExactlyTheTwoCommandsAndCiRunsTheTestOne() throws Exception {
        String readme = Files.readString(root.resolve("README.md"));
        Matcher block = Pattern.compile("## Two commands\\s*\\n```bash\\n(.*?)\\n```", Pattern.DOTALL).matcher(readme);
        assertThat(block.find()).isTrue();
        List<String> commands = block.group(1).lines().map(l -> l.replaceAll("\\s+#.*", "").strip()).toList();
        assertThat(commands).containsExactly("./robit demo", "./test");

        assertThat(Files.isExecutable(root.resolve("test"))).isTrue();
        String test = Files.readString(root.resolve("test"));
        assertThat(test).contains(".ci/services/*.sh").contains("threads=(-T 2)").contains("exec ./mvnw -B \"${threads[@]}\" verify \"$@\"");
        List<String> ciCommands = Files.readAllLines(root.resolve(".ci/run")).stream()
                .map(String::strip).filter(l -> !l.startsWith("#")).filter(l -> l.equals("./test") || l.contains("mvnw -B")).toList();
        assertThat(ciCommands).as(".ci/run runs ./test, then only the JDK 25 pass").first().isEqualTo("./test");
        assertThat(ciCommands).filteredOn(l -> l.contains("mvnw")).allSatisfy(l -> assertThat(l).contains("JAVA_HOME="));
    }

    @Test
    void installingAsNonRootStopsWithTheCommandToRun(@TempDir Path dir) throws Exception {
        // A fake `id` makes the caller look like an ordinary user; a fake apt-get records any call.
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("id"), "#!/bin/sh\necho 1000\n");
        Path aptLog = dir.resolve("apt-get.log");
        script(bin.resolve("apt-get"), "#!/bin/sh\necho \"$@\" >> " + aptLog + "\n");
        String snippet = ". " + root.resolve(".ci/lib/packages.sh") + "; install_packages redis-server redis-tools; echo after";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", snippet).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process run = pb.start();
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(out).isEqualTo(1);
        assertThat(out).contains("redis-server redis-tools not installed, and installing needs root")
                .contains("sudo ./test").contains("sudo apt-get install redis-server redis-tools")
                .doesNotContain("after");
        assertThat(aptLog).doesNotExist();
    }

    @Test
    void installingAsRootUsesAptGet(@TempDir Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("id"), "#!/bin/sh\necho 0\n");
        Path aptLog = dir.resolve("apt-get.log");
        script(bin.resolve("apt-get"), "#!/bin/sh\necho \"$@\" >> " + aptLog + "\n");
        String snippet = ". " + root.resolve(".ci/lib/packages.sh") + "; install_packages etcd-server; install_packages curl; echo after";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", snippet).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process run = pb.start();
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(out).isZero();
        assertThat(out).contains("after");
        assertThat(Files.readAllLines(aptLog)).containsExactly("update -qq", "install -y -qq etcd-server", "install -y -qq curl");
    }

    private static void script(Path path, String text) throws Exception {
        Files.writeString(path, text);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
