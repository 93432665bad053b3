package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The history file without a lock: concurrent writers' lines arrive whole, and none is lost. */
class HistoryTest {
    private static final int THREADS = 8;
    private static final int LINES = 3_000;

    @Test
    void concurrentWritersNeverInterleaveTheirLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("w.jsonl");
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> writers = new ArrayList<>();
        try (History history = new History(file)) {
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                // Lines of different lengths (a long one every few), so a torn or interleaved write shows.
                Thread writer = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < LINES; i++) {
                        history.record("w", "t" + thread, "i", i, "pad", "x".repeat(i % 7 == 0 ? 3_000 : i % 50));
                    }
                });
                writer.start();
                writers.add(writer);
            }
            start.countDown();
            for (Thread writer : writers) {
                writer.join();
            }
        }

        List<String> raw = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Map<String, String>> events = History.read(file);
        assertThat(raw).hasSize(THREADS * LINES);
        assertThat(events).as("every line parses whole").hasSize(THREADS * LINES);
        Set<String> seen = new HashSet<>();
        for (Map<String, String> e : events) {
            int i = Integer.parseInt(e.get("i"));
            assertThat(e.get("pad")).hasSize(i % 7 == 0 ? 3_000 : i % 50);
            seen.add(e.get("w") + "/" + i);
        }
        assertThat(seen).hasSize(THREADS * LINES);
    }

    @Test
    void aLineRecordedAfterCloseIsDroppedQuietly(@TempDir Path dir) {
        Path file = dir.resolve("w.jsonl");
        History history = new History(file);
        history.record("e", "before");
        history.close();
        history.record("e", "after");
        assertThat(History.read(file)).extracting(e -> e.get("e")).containsExactly("before");
    }
}
