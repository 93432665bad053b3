package io.robit.faults;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON-lines history file: one flat object per line, written with one {@code write} call each so
 * that a process killed with SIGKILL loses at most the line it was writing. Times are
 * {@link System#nanoTime()} readings, comparable across the JVMs of one Linux host (they all read
 * CLOCK_MONOTONIC). Thread-safe without a lock: the file is opened for appending, and the kernel
 * appends each {@code write} whole, so lines of concurrent writers never interleave. A lock here
 * made Robit's timer thread (which records keep-alives and the timer probe) wait behind a recording
 * thread the scheduler had preempted while holding it: the long tier saw a deadline notice 1.2 s
 * late with the timer thread parked in this lock.
 */
final class History implements AutoCloseable {
    private final FileOutputStream out;
    private volatile boolean closed;

    History(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            this.out = new FileOutputStream(file.toFile(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open history " + file, e);
        }
    }

    /** Appends one event; {@code keyValues} alternate names and values (numbers stay numbers). */
    void record(Object... keyValues) {
        StringBuilder line = new StringBuilder(96).append('{');
        for (int i = 0; i < keyValues.length; i += 2) {
            if (i > 0) {
                line.append(',');
            }
            line.append('"').append(keyValues[i]).append("\":");
            Object value = keyValues[i + 1];
            if (value instanceof Number || value instanceof Boolean) {
                line.append(value);
            } else {
                line.append('"').append(escape(String.valueOf(value))).append('"');
            }
        }
        line.append("}\n");
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        if (closed) {
            return; // a daemon thread (the stall detector) outlived the worker's main loop
        }
        try {
            out.write(bytes);
        } catch (IOException e) {
            if (!closed) {
                throw new UncheckedIOException(e);
            } // closed while this line was on its way: a daemon thread's last line, dropped as above
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads every complete line of {@code file}; a torn last line (the writer was killed) is skipped. */
    static List<Map<String, String>> read(Path file) {
        List<Map<String, String>> events = new ArrayList<>();
        if (!Files.exists(file)) {
            return events;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                Map<String, String> event = parse(line);
                if (event != null) {
                    events.add(event);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return events;
    }

    // Parses the flat objects record() writes; null for anything else (a torn line).
    static Map<String, String> parse(String line) {
        String s = line.strip();
        if (s.length() < 2 || s.charAt(0) != '{' || s.charAt(s.length() - 1) != '}') {
            return null;
        }
        Map<String, String> event = new LinkedHashMap<>();
        int i = 1;
        int end = s.length() - 1;
        while (i < end) {
            if (s.charAt(i) != '"') {
                return null;
            }
            int keyEnd = s.indexOf('"', i + 1);
            if (keyEnd < 0 || keyEnd + 1 >= end || s.charAt(keyEnd + 1) != ':') {
                return null;
            }
            String key = s.substring(i + 1, keyEnd);
            i = keyEnd + 2;
            String value;
            if (s.charAt(i) == '"') {
                StringBuilder v = new StringBuilder();
                i++;
                while (i < end && s.charAt(i) != '"') {
                    char c = s.charAt(i);
                    if (c == '\\' && i + 1 < end) {
                        char n = s.charAt(++i);
                        v.append(n == 'n' ? '\n' : n);
                    } else {
                        v.append(c);
                    }
                    i++;
                }
                if (i >= end) {
                    return null;
                }
                i++;
                value = v.toString();
            } else {
                int comma = s.indexOf(',', i);
                int stop = comma < 0 ? end : comma;
                value = s.substring(i, stop);
                i = stop;
            }
            event.put(key, value);
            if (i < end) {
                if (s.charAt(i) != ',') {
                    return null;
                }
                i++;
            }
        }
        return event;
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
