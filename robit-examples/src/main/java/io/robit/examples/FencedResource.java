package io.robit.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stand-in for the thing a lock protects (a file, a table, a bucket): it accepts a write only if
 * its fencing token is at least the highest it has seen, so a holder that lost its lock cannot
 * overwrite the work of the next one. Thread-safe.
 */
public final class FencedResource {
    private final ReentrantLock lock = new ReentrantLock();
    private final List<String> accepted = new ArrayList<>();
    private long highestToken = Long.MIN_VALUE;
    private int rejected;

    /** Applies {@code value} if {@code token} is not stale; returns whether it was accepted. */
    public boolean write(long token, String value) {
        lock.lock();
        try {
            if (token < highestToken) {
                rejected++;
                return false;
            }
            highestToken = token;
            accepted.add(value);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Writes accepted so far, in order. */
    public List<String> accepted() {
        lock.lock();
        try {
            return List.copyOf(accepted);
        } finally {
            lock.unlock();
        }
    }

    /** How many stale writes were refused. */
    public int rejected() {
        lock.lock();
        try {
            return rejected;
        } finally {
            lock.unlock();
        }
    }
}
