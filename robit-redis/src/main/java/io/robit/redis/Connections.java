package io.robit.redis;

import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Where a driver's Redis is and how to reach it: connects lazily on first use, keeps one command
 * connection, reconnects after a failed connect on the next use, and closes what it opened.
 * Whether the client itself is shut down on close depends on who made it. Thread-safe.
 */
final class Connections implements AutoCloseable {
    private final String where;
    private final Supplier<CompletableFuture<Commands>> connector;
    private final Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, String>>> pubSubConnector;
    private final Runnable shutdown;
    private final boolean ownsClient;
    private final ReentrantLock lock = new ReentrantLock();
    private CompletableFuture<Commands> commands; // guarded by lock
    private boolean closed; // guarded by lock

    /**
     * @param where the backend and its address for messages, e.g. {@code "redis 127.0.0.1:6379"}
     * @param connector opens the command connection
     * @param pubSubConnector opens a pub/sub connection
     * @param shutdown shuts the client down, or {@code null} when the client is the caller's
     */
    Connections(String where, Supplier<CompletableFuture<Commands>> connector,
            Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, String>>> pubSubConnector, Runnable shutdown) {
        this.ownsClient = shutdown != null;
        this.where = where;
        this.connector = connector;
        this.pubSubConnector = pubSubConnector;
        this.shutdown = shutdown;
    }

    /** Whether closing shuts the client down (and with it every connection it made). */
    boolean ownsClient() {
        return ownsClient;
    }

    String where() {
        return where;
    }

    /** The command connection, connecting if there is none yet or the last attempt failed. */
    CompletableFuture<Commands> commands() {
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the Redis driver is closed"));
            }
            if (commands == null || commands.isCompletedExceptionally() || commands.isCancelled()) {
                commands = start(connector);
            }
            return commands;
        } finally {
            lock.unlock();
        }
    }

    /** A new pub/sub connection; the caller closes it. */
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> openPubSub() {
        return start(pubSubConnector);
    }

    /**
     * Runs a blocking connect on a thread of its own, so the caller's timeout stays in force. For
     * the connects Lettuce offers only blockingly (a client's default URI; a Cluster client, whose
     * topology must be loaded first).
     */
    static <T> CompletableFuture<T> inBackground(Supplier<T> connect) {
        return CompletableFuture.supplyAsync(connect, task -> {
            Thread thread = new Thread(task, "robit-redis-connect");
            thread.setDaemon(true);
            thread.start();
        });
    }

    private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> connector) {
        try {
            return connector.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        CompletableFuture<Commands> open;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            open = commands;
        } finally {
            lock.unlock();
        }
        if (ownsClient) {
            shutdown.run();
        } else if (open != null) {
            // A connect still under way is closed when it completes.
            open.thenAccept(Commands::close);
        }
    }
}
