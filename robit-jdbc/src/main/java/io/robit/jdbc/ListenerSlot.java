package io.robit.jdbc;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Where a {@link JdbcDriver} keeps its one LISTEN connection ({@link PgListener}, PostgreSQL only):
 * started by the first wait, closed with the driver, never started again after that. Thread-safe.
 */
final class ListenerSlot {
    private final JdbcStore store;
    private final String backend;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile PgListener listener;

    ListenerSlot(JdbcStore store, String backend) {
        this.store = store;
        this.backend = backend;
    }

    /** The listener if one runs, else null; never starts one. */
    PgListener current() {
        return listener;
    }

    /** The listener, started now if none runs yet; null if the dialect has no channel or the driver is closed. */
    PgListener forWaits() {
        PgListener current = listener;
        if (current != null || store.channel() == null || store.isClosed()) {
            return current;
        }
        lock.lock();
        try {
            if (listener == null && !store.isClosed()) {
                listener = new PgListener(store.source(), store.channel(), backend);
            }
            return listener;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the listener, if one runs; call after the store is marked closed, so none starts again. */
    void close() {
        lock.lock();
        try {
            if (listener != null) {
                listener.close();
            }
        } finally {
            lock.unlock();
        }
    }
}
