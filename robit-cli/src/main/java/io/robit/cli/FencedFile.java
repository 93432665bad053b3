package io.robit.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's protected resource: an append-only file that records every write offered to it, and
 * accepts one only if its fencing token is at least the highest token it has accepted, so a holder
 * that lost the lock cannot write after the next holder did. Safe across processes: each write
 * holds an exclusive file lock while it reads the highest token and appends.
 */
final class FencedFile {
    private final Path file;

    FencedFile(Path file) {
        this.file = file;
    }

    /** One write offered to the resource, accepted or refused. */
    record Entry(boolean accepted, long token, String writer, long atMillis, String text) {
        String line() {
            return (accepted ? "ACCEPTED" : "REJECTED") + '\t' + token + '\t' + writer + '\t' + atMillis + '\t' + text + '\n';
        }

        static Entry parse(String line) {
            String[] fields = line.split("\t", 5);
            if (fields.length != 5) {
                throw new IllegalArgumentException("not a resource entry: '" + line + "'");
            }
            return new Entry(fields[0].equals("ACCEPTED"), Long.parseLong(fields[1]), fields[2], Long.parseLong(fields[3]), fields[4]);
        }
    }

    /**
     * Offers a write; returns the entry recorded, and the highest accepted token before it.
     *
     * @throws IOException the file could not be read or written
     */
    @SuppressWarnings("try") // the file lock only needs releasing
    Result write(long token, String writer, String text) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            ByteBuffer content = ByteBuffer.allocate((int) channel.size());
            while (content.hasRemaining() && channel.read(content) >= 0) {
                // read it all
            }
            long highest = parse(new String(content.array(), 0, content.position(), StandardCharsets.UTF_8)).stream()
                    .filter(Entry::accepted).mapToLong(Entry::token).max().orElse(Long.MIN_VALUE);
            Entry entry = new Entry(token >= highest, token, writer, System.currentTimeMillis(), text);
            channel.position(channel.size());
            channel.write(ByteBuffer.wrap(entry.line().getBytes(StandardCharsets.UTF_8)));
            channel.force(false);
            return new Result(entry, highest);
        }
    }

    /** What {@link #write} did: the entry recorded and the highest token accepted before it. */
    record Result(Entry entry, long highestBefore) {
    }

    /** Every write offered so far, in order. */
    List<Entry> entries() throws IOException {
        return Files.exists(file) ? parse(Files.readString(file)) : List.of();
    }

    private static List<Entry> parse(String content) {
        List<Entry> entries = new ArrayList<>();
        for (String line : content.split("\n")) {
            if (!line.isBlank()) {
                entries.add(Entry.parse(line));
            }
        }
        return entries;
    }

    /**
     * The first accepted write whose token is lower than an earlier accepted write's: the proof that
     * two holders' accepted writes interleaved. Empty when each holder's writes came after the
     * previous holder's.
     */
    static java.util.Optional<Entry> firstOverlap(List<Entry> entries) {
        long highest = Long.MIN_VALUE;
        for (Entry entry : entries) {
            if (entry.accepted()) {
                if (entry.token() < highest) {
                    return java.util.Optional.of(entry);
                }
                highest = entry.token();
            }
        }
        return java.util.Optional.empty();
    }
}
