package io.robit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start compiles exactly as a user pastes it into {@code QuickStart.java} (imports
 * included, no package, checked exceptions declared) and runs.
 */
class QuickStartTest {
    private static final Pattern BLOCK = Pattern.compile(
            "<!-- snippet: robit-examples/src/test/java/io/robit/examples/QuickStart.java#quickstart -->\\s*\\n```java\\n(.*?)\\n```",
            Pattern.DOTALL);

    @Test
    void readmeQuickStartCompilesAsPastedAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(SnippetsTest.repositoryRoot().resolve("README.md"));
        Matcher block = BLOCK.matcher(readme);
        assertThat(block.find()).as("README has the quick start block").isTrue();
        Path source = dir.resolve("QuickStart.java");
        Files.writeString(source, block.group(1));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String classpath = System.getProperty("java.class.path");
        int status = javac.run(null, null, null, "-Xlint:all", "-Werror", "-d", dir.toString(), "-cp", classpath, source.toString());
        assertThat(status).as("javac QuickStart.java (the README block as pasted)").isZero();

        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process run = new ProcessBuilder(javaBin, "-cp", dir + java.io.File.pathSeparator + classpath, "QuickStart")
                .redirectErrorStream(true).start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("QuickStart finished").isTrue();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(output).isZero();
        assertThat(output).contains("processing the order with fencing token ");
    }

    @Test
    void readmeCoordinatesNameModulesOfThisBuildAtTheReleaseVersion() throws IOException {
        Path root = SnippetsTest.repositoryRoot();
        String readme = Files.readString(root.resolve("README.md"));
        String pom = Files.readString(root.resolve("pom.xml"));
        Matcher version = Pattern.compile("<artifactId>robit-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(version.find()).isTrue();
        String release = version.group(1).replace("-SNAPSHOT", "");

        Matcher gradle = Pattern.compile("\"io\\.robit:(robit-[a-z-]+)(?::([^\"]+))?\"").matcher(readme);
        int coordinates = 0;
        while (gradle.find()) {
            coordinates++;
            assertThat(root.resolve(gradle.group(1)).resolve("pom.xml")).as("module of " + gradle.group()).exists();
            if (gradle.group(2) != null) {
                assertThat(gradle.group(2)).as(gradle.group()).isEqualTo(release);
            }
        }
        Matcher maven = Pattern.compile("<artifactId>(robit-[a-z-]+)</artifactId>(\\s*<version>([^<]+)</version>)?").matcher(readme);
        while (maven.find()) {
            coordinates++;
            assertThat(root.resolve(maven.group(1)).resolve("pom.xml")).as("module of " + maven.group(1)).exists();
            if (maven.group(3) != null) {
                assertThat(maven.group(3)).isEqualTo(release);
            }
        }
        assertThat(coordinates).as("README gives Maven and Gradle coordinates").isGreaterThanOrEqualTo(4);
        assertThat(readme).contains("```xml").contains("```kotlin");
        assertThat(List.of("robit-core", "robit-bom")).allSatisfy(a -> assertThat(readme).contains("<artifactId>" + a + "</artifactId>"));
    }
}
