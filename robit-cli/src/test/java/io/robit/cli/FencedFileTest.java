package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FencedFileTest {
    @TempDir
    Path dir;

    @Test
    void acceptsEqualOrNewerTokensAndRefusesStaleOnes() throws Exception {
        FencedFile file = new FencedFile(dir.resolve("resource.log"));

        assertThat(file.write(1, "a", "w1").entry().accepted()).isTrue();
        assertThat(file.write(1, "a", "w2").entry().accepted()).isTrue();
        assertThat(file.write(3, "b", "w1").entry().accepted()).isTrue();
        FencedFile.Result stale = file.write(1, "a", "late");

        assertThat(stale.entry().accepted()).isFalse();
        assertThat(stale.highestBefore()).isEqualTo(3);
        assertThat(file.entries()).extracting(FencedFile.Entry::accepted).containsExactly(true, true, true, false);
        assertThat(FencedFile.firstOverlap(file.entries())).isEmpty();
    }

    @Test
    void findsAnOverlapInAnUnfencedLog() {
        var entries = java.util.List.of(new FencedFile.Entry(true, 2, "a", 0, "x"), new FencedFile.Entry(true, 3, "b", 0, "y"),
                new FencedFile.Entry(true, 2, "a", 0, "late"));
        assertThat(FencedFile.firstOverlap(entries)).map(FencedFile.Entry::text).hasValue("late");
    }
}
