package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The DDL in the JDBC docs is exactly what the driver would run, for every dialect. */
class DocumentedDdlTest {

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void docsShowTheDriversDdl(Dialect dialect) throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        assertThat(root).as("repository root").isNotNull();
        Path doc = Files.exists(root.resolve("docs/jdbc.md")) ? root.resolve("docs/jdbc.md") : root.resolve("README.md");
        assertThat(Files.readString(doc)).as("%s shows the %s DDL", doc.getFileName(), dialect)
                .contains("```sql\n" + dialect.createTableSql("robit_locks") + ";\n```");
    }
}
