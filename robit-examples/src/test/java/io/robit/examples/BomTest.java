package io.robit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** robit-bom lists every published module at the build's version, and nothing that is not published. */
class BomTest {
    /** Modules built here but not published (tests, benchmarks, examples, the BOM itself). */
    private static final List<String> UNPUBLISHED = List.of("robit-faults", "robit-bench", "robit-examples", "robit-spring-example", "robit-test-support",
            "robit-bom");

    @Test
    void bomListsEveryPublishedModuleAtTheParentVersion() throws IOException {
        Path root = SnippetsTest.repositoryRoot();
        String parent = Files.readString(root.resolve("pom.xml"));
        String bom = Files.readString(root.resolve("robit-bom/pom.xml"));
        Matcher parentVersion = Pattern.compile("<artifactId>robit-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(parent);
        Matcher bomVersion = Pattern.compile("<artifactId>robit-bom</artifactId>\\s*<version>([^<]+)</version>").matcher(bom);
        assertThat(parentVersion.find()).isTrue();
        assertThat(bomVersion.find()).isTrue();
        assertThat(bomVersion.group(1)).isEqualTo(parentVersion.group(1));

        List<String> published = new ArrayList<>();
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
        while (module.find()) {
            if (!UNPUBLISHED.contains(module.group(1))) {
                published.add(module.group(1));
            }
        }
        List<String> listed = new ArrayList<>();
        Matcher dep = Pattern.compile("<artifactId>(robit-[a-z-]+)</artifactId>\\s*<version>\\$\\{project.version}</version>").matcher(bom);
        while (dep.find()) {
            listed.add(dep.group(1));
        }
        assertThat(published).contains("robit-core");
        assertThat(listed).containsExactlyInAnyOrderElementsOf(published);
    }
}
