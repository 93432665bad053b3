package io.robit.zookeeper;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How lock ids become ZooKeeper node names, and how the sequential nodes under a lock's node are
 * read. Stateless; thread-safe.
 *
 * <p>An id is escaped into one flat node name: {@code A-Z a-z 0-9 _ - .} stay as they are, every
 * other character becomes the percent-encoded bytes of its UTF-8 form (so {@code /} is
 * {@code %2F} and ids never make deeper paths), and the names {@code .} and {@code ..}, which
 * ZooKeeper forbids, are escaped too. The mapping is one-to-one.
 */
final class LockNames {
    /**
     * The child of the base path under which each session keeps its keep-alive node. No lock id
     * escapes to it ({@link #escape} writes {@code %} only before two hex digits), so it is never
     * a lock's node.
     */
    static final String SESSIONS = "%sessions";

    /** The longest escaped name accepted: far below ZooKeeper's limits, and long enough for any sane id. */
    static final int MAX_ESCAPED_LENGTH = 512;
    /** The prefix of every contender's node; ZooKeeper appends a 10-digit sequence number. */
    static final String NODE_PREFIX = "lock-";

    private static final int SEQUENCE_DIGITS = 10;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** What {@link #sequenceOf} says of a name that is not a contender's. */
    static final long NOT_A_CONTENDER = Long.MIN_VALUE;

    /** The lowest sequence number first. */
    static final Comparator<String> BY_SEQUENCE = Comparator.comparingLong(LockNames::sequenceOf);

    private LockNames() {
    }

    /**
     * Checks {@code id} and returns its node name.
     *
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if it is empty, holds an unpaired surrogate, or escapes to
     *     more than {@link #MAX_ESCAPED_LENGTH} characters
     */
    static String escape(String id) {
        Objects.requireNonNull(id, "lock id must not be null");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("lock id must not be empty");
        }
        if (id.equals(".") || id.equals("..")) {
            return id.replace(".", "%2E");
        }
        StringBuilder name = new StringBuilder(id.length() + 16);
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (isPlain(c)) {
                name.append(c);
            } else if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= id.length() || !Character.isLowSurrogate(id.charAt(i + 1))) {
                    throw new IllegalArgumentException("lock id '" + printable(id) + "' has an unpaired surrogate at index " + i
                            + "; it cannot be stored as a ZooKeeper node name");
                }
                appendEncoded(name, id.substring(i, i + 2));
                i++;
            } else {
                appendEncoded(name, String.valueOf(c));
            }
            if (name.length() > MAX_ESCAPED_LENGTH) {
                throw new IllegalArgumentException("lock id of length " + id.length() + " is too long: its ZooKeeper node name would exceed "
                        + MAX_ESCAPED_LENGTH + " characters after escaping");
            }
        }
        return name.toString();
    }

    /** The lock id a node name was escaped from (the inverse of {@link #escape}). */
    static String unescape(String name) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%' && i + 2 < name.length() && isHex(name.charAt(i + 1)) && isHex(name.charAt(i + 2))) {
                bytes.write(Integer.parseInt(name, i + 1, i + 3, 16));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * The sequence number of a contender's node name, or {@link #NOT_A_CONTENDER}. ZooKeeper writes
     * the parent's signed 32-bit counter with {@code %010d}, so after 2147483647 come
     * {@code -2147483648} (eleven characters) and, later, {@code -000000001}: those are contenders too.
     */
    static long sequenceOf(String nodeName) {
        int at = nodeName.lastIndexOf(NODE_PREFIX);
        if (at < 0) {
            return NOT_A_CONTENDER;
        }
        int start = at + NODE_PREFIX.length();
        int digits = nodeName.length() - start;
        boolean negative = digits > 0 && nodeName.charAt(start) == '-';
        if (negative ? digits != SEQUENCE_DIGITS && digits != SEQUENCE_DIGITS + 1 : digits != SEQUENCE_DIGITS) {
            return NOT_A_CONTENDER;
        }
        long value = 0;
        for (int i = negative ? start + 1 : start; i < nodeName.length(); i++) {
            char c = nodeName.charAt(i);
            if (c < '0' || c > '9') {
                return NOT_A_CONTENDER;
            }
            value = value * 10 + (c - '0');
        }
        value = negative ? -value : value;
        return value < Integer.MIN_VALUE || value > Integer.MAX_VALUE ? NOT_A_CONTENDER : value;
    }

    /** The contenders among {@code children}, lowest sequence number first. */
    static List<String> contenders(List<String> children) {
        return children.stream().filter(n -> sequenceOf(n) != NOT_A_CONTENDER).sorted(BY_SEQUENCE).toList();
    }

    /**
     * Whether the sequence numbers of {@code sorted} (as {@link #contenders} returns them) cannot be
     * trusted to give the order of creation: one is negative (the parent's counter wrapped) or two
     * are equal (a ZooKeeper server keeps the counter at 2147483647 once it gets there, so every
     * later node gets that number). The nodes' czxids order them then.
     */
    static boolean needsCreationOrder(List<String> sorted) {
        long previous = NOT_A_CONTENDER;
        for (String name : sorted) {
            long sequence = sequenceOf(name);
            if (sequence < 0 || sequence == previous) {
                return true;
            }
            previous = sequence;
        }
        return false;
    }

    /** The contender just ahead of {@code mine} in {@code sorted}, empty if {@code mine} is first. */
    static Optional<String> predecessor(List<String> sorted, String mine) {
        int index = sorted.indexOf(mine);
        if (index < 0) {
            throw new IllegalArgumentException(mine + " is not among the contenders " + sorted);
        }
        return index == 0 ? Optional.empty() : Optional.of(sorted.get(index - 1));
    }

    /** The last segment of a path. */
    static String nodeName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    private static boolean isPlain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    }

    private static void appendEncoded(StringBuilder out, String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
        }
    }

    private static String printable(String id) {
        String shortened = id.length() > 40 ? id.substring(0, 40) + "..." : id;
        StringBuilder out = new StringBuilder();
        shortened.chars().forEach(c -> out.append(Character.isSurrogate((char) c) || Character.isISOControl(c) ? String.format("\\u%04X", c) : String.valueOf((char) c)));
        return out.toString();
    }
}
