package io.robit.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.ArrayList;
import java.util.stream.Stream;

/**
 * Reads the worker histories of a run directory ({@code wN.M.jsonl}) for the checker, each with its
 * JVM's safepoints ({@link SafepointLog}) added as {@code safepoint} events (from, t, op), so that a
 * finished run is checked again ({@link Recheck}) exactly as it was checked when it ended. Stateless.
 */
final class RunHistories {
    private RunHistories() {
    }

    /** Worker name ({@code w2.5}) to its events, in name order. */
    static Map<String, List<Map<String, String>>> read(Path dir) throws IOException {
        Map<String, List<Map<String, String>>> histories = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("w.*\\.jsonl")).toList()) {
                String worker = file.getFileName().toString().replace(".jsonl", "");
                List<Map<String, String>> events = new ArrayList<>(History.read(file));
                for (SafepointLog.Pause p : SafepointLog.read(dir, worker)) {
                    Map<String, String> e = new LinkedHashMap<>();
                    e.put("e", "safepoint");
                    e.put("from", Long.toString(p.from()));
                    e.put("t", Long.toString(p.to()));
                    e.put("op", p.operation());
                    events.add(e);
                }
                histories.put(worker, events);
            }
        }
        return histories;
    }
}
