package io.robit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java example in README.md and docs/*.md is marked {@code <!-- snippet: FILE#NAME -->} and
 * must equal the region {@code // snippet:NAME} .. {@code // end::NAME} of that test file, so the
 * examples readers copy are the ones the tests compile and run.
 */
class SnippetsTest {
    private static final Pattern MARKER = Pattern.compile("<!-- snippet: ([^#\\s]+)#([\\w-]+) -->\\s*\\n```java\\n(.*?)\\n```", Pattern.DOTALL);

    @Test
    void everyJavaBlockIsACheckedCopyOfATestRegion() throws IOException {
        Path root = repositoryRoot();
        List<Path> docs = new ArrayList<>();
        docs.add(root.resolve("README.md"));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).forEach(docs::add);
        }
        int checked = 0;
        List<String> problems = new ArrayList<>();
        for (Path doc : docs) {
            String text = Files.readString(doc);
            int javaBlocks = count(text, "```java\n");
            Matcher m = MARKER.matcher(text);
            int marked = 0;
            while (m.find()) {
                marked++;
                Path source = root.resolve(m.group(1));
                if (!Files.exists(source)) {
                    problems.add(doc.getFileName() + ": snippet source " + m.group(1) + " does not exist");
                    continue;
                }
                String region = region(Files.readString(source), m.group(2));
                if (region == null) {
                    problems.add(doc.getFileName() + ": no region '" + m.group(2) + "' in " + m.group(1));
                } else if (!region.equals(m.group(3))) {
                    problems.add(doc.getFileName() + ": snippet " + m.group(1) + "#" + m.group(2)
                            + " differs from the source\n--- doc\n" + m.group(3) + "\n--- source\n" + region);
                }
                checked++;
            }
            if (marked != javaBlocks) {
                problems.add(doc.getFileName() + ": " + (javaBlocks - marked) + " java block(s) without a snippet marker");
            }
        }
        assertThat(problems).isEmpty();
        assertThat(checked).as("README has checked examples").isGreaterThanOrEqualTo(5);
    }

    static String region(String source, String name) {
        String[] lines = source.split("\n", -1);
        List<String> body = null;
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.equals("// snippet:" + name)) {
                body = new ArrayList<>();
            } else if (trimmed.equals("// end::" + name)) {
                return body == null ? null : dedent(body);
            } else if (body != null) {
                body.add(line);
            }
        }
        return null;
    }

    private static String dedent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            out.add(line.isBlank() ? "" : line.substring(indent));
        }
        return String.join("\n", out);
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root (the folder with mvnw) above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
