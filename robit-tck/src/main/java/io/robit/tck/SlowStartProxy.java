package io.robit.tck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy that holds every new connection silent for a while before forwarding: a
 * slow first connection (a loaded machine, a TLS handshake, a far server), for tests of a cold
 * client's first call. Nothing is forwarded in either direction until {@code delay} after the
 * connection was accepted; then bytes flow freely. Thread-safe.
 *
 * <p>Its threads are named {@value CuttableProxy#THREAD_PREFIX}..., like {@link CuttableProxy}'s.
 */
public final class SlowStartProxy implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final InetSocketAddress target;
    private final long delayNanos;
    private final ServerSocket server;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    private SlowStartProxy(InetSocketAddress target, Duration delay) throws IOException {
        this.target = target;
        this.delayNanos = delay.toNanos();
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        start(this::acceptLoop);
    }

    /** Starts a proxy on 127.0.0.1, on a free port, in front of {@code target}, delaying each new connection by {@code delay}. */
    public static SlowStartProxy to(InetSocketAddress target, Duration delay) throws IOException {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        return new SlowStartProxy(target, delay);
    }

    /** Where clients should connect instead of the server: 127.0.0.1 and a free port. */
    public InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress().getHostAddress(), server.getLocalPort());
    }

    /** How many connections this proxy accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            long forwardFrom = System.nanoTime() + delayNanos;
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 5_000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                open.add(client);
                open.add(upstream);
                start(() -> pump(client, upstream, forwardFrom));
                start(() -> pump(upstream, client, forwardFrom));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to, long forwardFrom) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            long wait = forwardFrom - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // the slow start: bytes queue up in the socket buffers meanwhile
            }
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // Either side closed: end both.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void start(Runnable task) {
        Thread thread = new Thread(task, CuttableProxy.THREAD_PREFIX + "slow-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Best effort: the proxy is closing.
        }
    }
}
