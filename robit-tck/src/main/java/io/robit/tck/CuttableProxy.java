package io.robit.tck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy between a driver and its server that a test can cut, for the outage
 * contract. {@link #cut()} makes the server unreachable the way a network partition does: nothing
 * more is forwarded on the open connections, which stay open, and new ones are accepted but never
 * answered, so clients find out only through their own timeouts. {@link #restore()} drops the
 * connections of the partition (as TCP eventually would) and forwards new ones again. Thread-safe.
 *
 * <p>Its threads are named {@value #THREAD_PREFIX}..., so a test counting the client's threads can
 * leave them out.
 */
public final class CuttableProxy implements AutoCloseable {
    /** The name prefix of every thread this proxy starts. */
    public static final String THREAD_PREFIX = "robit-tck-proxy-";

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final List<Socket> stalled = new CopyOnWriteArrayList<>();
    private final List<Socket> blackholed = new CopyOnWriteArrayList<>();
    private volatile boolean cut;
    private volatile boolean closed;

    private CuttableProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        start(this::acceptLoop);
    }

    /** Starts a proxy on 127.0.0.1, on a free port, in front of {@code target}. */
    public static CuttableProxy to(InetSocketAddress target) throws IOException {
        return new CuttableProxy(target);
    }

    /** Where clients should connect instead of the server: 127.0.0.1 and a free port. */
    public InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress().getHostAddress(), server.getLocalPort());
    }

    /** The server behind this proxy. */
    public InetSocketAddress target() {
        return target;
    }

    /** Stops forwarding on every open connection and answers no new one, until {@link #restore()}. */
    public void cut() {
        cut = true;
        stalled.addAll(open);
        open.clear();
    }

    /** Drops every connection of the partition and forwards new connections again. */
    public void restore() {
        cut = false;
        for (Socket socket : stalled) {
            closeQuietly(socket);
        }
        stalled.clear();
        for (Socket socket : blackholed) {
            closeQuietly(socket);
        }
        blackholed.clear();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        cut();
        restore();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (cut) {
                blackholed.add(client); // accepted, never answered: a partition, not a refusal
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 5_000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                open.add(client);
                open.add(upstream);
                start(() -> pump(client, upstream));
                start(() -> pump(upstream, client));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                while (cut && !closed && !from.isClosed()) {
                    Thread.sleep(10); // partitioned: hold the bytes; restore() closes this connection
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // Either side closed, or the partition ended: end both.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
            stalled.remove(from);
            stalled.remove(to);
        }
    }

    private static void start(Runnable task) {
        Thread thread = new Thread(task, THREAD_PREFIX + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Best effort: the connection is being dropped.
        }
    }
}
