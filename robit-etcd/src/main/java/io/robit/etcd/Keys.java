package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Maps lock names to etcd keys ({@code prefix + id}, UTF-8) and rejects names etcd cannot hold. Immutable. */
final class Keys {
    /** The longest lock name, in UTF-8 bytes. etcd itself only bounds the whole request (1.5 MiB by default). */
    static final int MAX_ID_BYTES = 1024;
    static final int MAX_PREFIX_BYTES = 512;

    private final String prefix;
    private final byte[] prefixBytes;

    Keys(String prefix) {
        Objects.requireNonNull(prefix, "keyPrefix must not be null");
        this.prefixBytes = utf8(prefix, "keyPrefix");
        if (prefixBytes.length > MAX_PREFIX_BYTES) {
            throw new IllegalArgumentException("keyPrefix must be at most " + MAX_PREFIX_BYTES + " UTF-8 bytes, got " + prefixBytes.length);
        }
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    /** The prefix's length in UTF-8 bytes. */
    int prefixBytes() {
        return prefixBytes.length;
    }

    /** Checks {@code id} and returns its key. */
    ByteSequence key(String id) {
        byte[] idBytes = validate(id);
        byte[] key = new byte[prefixBytes.length + idBytes.length];
        System.arraycopy(prefixBytes, 0, key, 0, prefixBytes.length);
        System.arraycopy(idBytes, 0, key, prefixBytes.length, idBytes.length);
        return ByteSequence.from(key);
    }

    static byte[] validate(String id) {
        if (id == null) {
            throw new NullPointerException("lock id must not be null");
        }
        if (id.isEmpty()) {
            throw new IllegalArgumentException("lock id must not be empty");
        }
        if (id.length() > MAX_ID_BYTES) {
            throw new IllegalArgumentException("lock id must be at most " + MAX_ID_BYTES + " UTF-8 bytes, got " + id.length() + " chars: '"
                    + abbreviate(id) + "'");
        }
        byte[] bytes = utf8(id, "lock id");
        if (bytes.length > MAX_ID_BYTES) {
            throw new IllegalArgumentException("lock id must be at most " + MAX_ID_BYTES + " UTF-8 bytes, got " + bytes.length + ": '"
                    + abbreviate(id) + "'");
        }
        return bytes;
    }

    private static byte[] utf8(String text, String what) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer buffer = encoder.encode(CharBuffer.wrap(text));
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid Unicode (it has an unpaired surrogate): '" + abbreviate(text) + "'", e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
