package io.robit.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a worker JVM's safepoint log ({@code -Xlog:safepoint:file=<worker>.safepoint.log:tn}, JDK 17):
 * the stretches in which HotSpot itself stopped every Java thread (GC, deoptimisation, ...). A line
 * is written as the safepoint ends, stamped with os::javaTimeNanos (CLOCK_MONOTONIC on Linux, the
 * clock of {@link System#nanoTime()} and so of the histories: no conversion), and says how long it
 * took to reach the safepoint and how long in all. Every Java thread is certainly stopped from the
 * moment the last one arrived ({@code end - (total - reaching)}) to the end; before that a thread
 * may still have been running, so that part is not counted. Stateless.
 */
final class SafepointLog {
    static final String SUFFIX = ".safepoint.log";
    private static final Pattern LINE = Pattern.compile(
            "^\\[(\\d+)ns\\] Safepoint \"([^\"]*)\".*Reaching safepoint: (\\d+) ns.*Total: (\\d+) ns");

    private SafepointLog() {
    }

    /** One stop of every Java thread: [from, to] in nanoTime, and the VM operation that asked for it. */
    record Pause(long from, long to, String operation) {
    }

    /** The pauses of {@code worker} in {@code dir} (its current file and rotated ones), in time order; empty if there is no log. */
    static List<Pause> read(Path dir, String worker) {
        List<Pause> pauses = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(worker + SUFFIX)).toList()) {
                for (String line : Files.readAllLines(file)) {
                    Pause p = parse(line);
                    if (p != null) {
                        pauses.add(p);
                    }
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return pauses;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the safepoint log of " + worker + " in " + dir, e);
        }
        pauses.sort(java.util.Comparator.comparingLong(Pause::from));
        return pauses;
    }

    /** The pause one log line reports, or null for a line that is not a safepoint's (or torn by a kill). */
    static Pause parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            return null;
        }
        long end = Long.parseLong(m.group(1));
        long reaching = Long.parseLong(m.group(3));
        long total = Long.parseLong(m.group(4));
        return new Pause(end - (total - reaching), end, m.group(2));
    }
}
