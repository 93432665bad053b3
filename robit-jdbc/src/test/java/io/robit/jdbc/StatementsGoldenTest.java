package io.robit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden tests of every SQL string per dialect: a change to the SQL must show up as a diff of
 * {@code src/test/resources/golden/*.sql}. Regenerate deliberately with
 * {@code -Drobit.golden.update=true} and review the diff.
 */
class StatementsGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void sqlMatchesTheGoldenFile(Dialect dialect) throws IOException {
        check(dialect.label() + ".sql", render(Statements.of(dialect, "robit_locks")));
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aCustomSchemaQualifiedTableIsUsedEverywhere(Dialect dialect) {
        Statements custom = Statements.of(dialect, "ops.app_locks");
        String all = render(custom);
        assertThat(all.replace("ops.app_locks", "robit_locks")).isEqualTo(render(Statements.of(dialect, "robit_locks")));
        assertThat(dialect.createTableSql("ops.app_locks")).startsWith(custom.createTable()).isEqualTo(custom.allDdl());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1locks", "robit-locks", "locks;drop table x", "a.b.c", "\"quoted\"", "robit locks", "schema.", ".table"})
    void tableNamesThatAreNotIdentifiersAreRejected(String table) {
        for (Dialect dialect : Dialect.values()) {
            assertThatThrownBy(() -> Statements.of(dialect, table)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("table must be an SQL identifier").hasMessageContaining("'" + table + "'");
        }
        assertThatThrownBy(() -> JdbcDriver.builder(new org.sqlite.SQLiteDataSource()).table(table))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"robit_locks", "_x", "Locks2", "app.robit_locks"})
    void identifiersAreAccepted(String table) {
        assertThat(Statements.of(Dialect.POSTGRESQL, table).acquire()).contains(table);
    }

    @org.junit.jupiter.api.Test
    void thePostgresqlChannelIsTheTableUnlessTooLongThenAHashOfIt() {
        assertThat(Statements.of(Dialect.POSTGRESQL, "Ops.App_Locks").channel()).isEqualTo("ops.app_locks");
        String longName = "s".repeat(40) + "." + "t".repeat(40);
        String channel = Statements.of(Dialect.POSTGRESQL, longName).channel();
        assertThat(channel).startsWith("robit_").hasSizeLessThanOrEqualTo(Statements.MAX_CHANNEL_BYTES)
                .isEqualTo(Statements.channel(longName.toUpperCase(Locale.ROOT)))
                .isNotEqualTo(Statements.channel("s".repeat(40) + "." + "t".repeat(39) + "u"));
        assertThat(Statements.of(Dialect.POSTGRESQL, longName).release()).contains("pg_notify('" + channel + "'");
    }

    @org.junit.jupiter.api.Test
    void theQueueTableSitsBesideTheLeaseTableAndFitsAnIdentifier() {
        assertThat(QueueStatements.table("robit_locks")).isEqualTo("robit_locks_waiters");
        assertThat(QueueStatements.table("ops.app_locks")).isEqualTo("ops.app_locks_waiters");
        assertThat(QueueStatements.table("t".repeat(55))).isEqualTo("t".repeat(55) + "_waiters");
        String longName = "t".repeat(56);
        assertThat(QueueStatements.table("ops." + longName)).startsWith("ops.robit_waiters_").hasSize(4 + 14 + 32)
                .isEqualTo(QueueStatements.table("OPS." + longName.toUpperCase(Locale.ROOT)).toLowerCase(Locale.ROOT))
                .isNotEqualTo(QueueStatements.table("ops." + "t".repeat(55) + "u"));
        assertThat(Statements.of(Dialect.MARIADB, "robit_locks").queue()).isNull();
        assertThat(Statements.of(Dialect.SQLITE, "robit_locks").queue()).isNull();
        assertThat(Dialect.POSTGRESQL.createTableSql("robit_locks")).contains("CREATE UNLOGGED TABLE IF NOT EXISTS robit_locks_waiters");
    }

    @org.junit.jupiter.api.Test
    void tableNamesLongerThanAnIdentifierAreRejected() {
        assertThatThrownBy(() -> Statements.of(Dialect.SQLITE, "t".repeat(64))).isInstanceOf(IllegalArgumentException.class);
        assertThat(Statements.of(Dialect.SQLITE, "t".repeat(63)).createTable()).contains("t".repeat(63));
    }

    @org.junit.jupiter.api.Test
    void dialectIsDetectedFromTheProductNameAndVersion() {
        assertThat(Dialect.detect("PostgreSQL", "15.20")).isEqualTo(Dialect.POSTGRESQL);
        assertThat(Dialect.detect("MariaDB", "10.11.19-MariaDB-0+deb12u1")).isEqualTo(Dialect.MARIADB);
        assertThat(Dialect.detect("MySQL", "5.5.5-10.11.19-MariaDB")).isEqualTo(Dialect.MARIADB);
        assertThat(Dialect.detect("MySQL", "8.4.3")).isEqualTo(Dialect.MYSQL);
        assertThat(Dialect.detect("SQLite", "3.54.1")).isEqualTo(Dialect.SQLITE);
        assertThatThrownBy(() -> Dialect.detect("Oracle", "23ai")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Oracle");
    }

    static String render(Statements sql) {
        StringBuilder out = new StringBuilder();
        section(out, "createTable", sql.createTable());
        for (String setup : sql.setup()) {
            section(out, "setup", setup);
        }
        section(out, "acquire", sql.acquire());
        section(out, "acquireResult", sql.acquireResult());
        section(out, "refresh", sql.refresh());
        section(out, "release", sql.release());
        section(out, "inspect", sql.inspect());
        section(out, "list", sql.list());
        section(out, "channel", sql.channel());
        QueueStatements queue = sql.queue();
        if (queue != null) {
            section(out, "queue.table", queue.table());
            section(out, "queue.createTable", queue.createTable());
            section(out, "queue.exists", queue.exists());
            section(out, "queue.acquire", queue.acquire());
            section(out, "queue.release", queue.release());
            section(out, "queue.leave", queue.leave());
            section(out, "queue.leaveAll", queue.leaveAll());
        }
        return out.toString();
    }

    private static void section(StringBuilder out, String name, String text) {
        out.append("-- ").append(name).append('\n').append(text == null ? "(none)" : text).append(";\n\n");
    }

    private static void check(String file, String actual) throws IOException {
        Path path = GOLDEN.resolve(file);
        if (Boolean.getBoolean("robit.golden.update")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(path, actual, StandardCharsets.UTF_8);
        }
        assertThat(path).as("golden file %s (regenerate with -Drobit.golden.update=true)", path).exists();
        assertThat(actual).as("SQL of %s", file.toLowerCase(Locale.ROOT)).isEqualTo(Files.readString(path, StandardCharsets.UTF_8));
    }
}
