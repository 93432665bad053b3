package io.robit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on 127.0.0.1 between the workers and one backend port, with faults a network can
 * cause. TCP never loses bytes on an open connection, so the faults stall or delay bytes, or reset
 * connections; they never drop bytes from a stream:
 * <ul>
 *   <li>{@link #stall} both directions (a blackhole that keeps the sockets open) or only replies
 *       (requests reach the server, answers do not come back);</li>
 *   <li>{@link #latency} added to every chunk in both directions;</li>
 *   <li>{@link #resetAll} closes every open connection with a TCP reset; new ones are accepted.</li>
 * </ul>
 * A stalled connection is released by {@link #heal} (the bytes flow on, late) or reset. While the
 * requests direction is stalled, new connections are accepted and stalled too. Thread-safe.
 */
final class FaultProxy implements AutoCloseable {
    private static final long STALL_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean requestsStalled;
    private volatile boolean repliesStalled;
    private volatile long latencyMillis;
    private volatile boolean closed;

    FaultProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "proxy-accept-" + targetPort);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Stops forwarding: both directions when {@code requestsToo}, else only server→client. */
    void stall(boolean requestsToo) {
        repliesStalled = true;
        requestsStalled = requestsToo;
    }

    /** Adds {@code millis} before each chunk is forwarded, both ways. */
    void latency(long millis) {
        latencyMillis = millis;
    }

    /** Ends every fault: stalled bytes flow on, latency goes. */
    void heal() {
        requestsStalled = false;
        repliesStalled = false;
        latencyMillis = 0;
    }

    /** Resets every open connection (SO_LINGER 0, so the peers see RST). */
    void resetAll() {
        for (Socket socket : sockets) {
            reset(socket);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            try {
                Socket backend = new Socket();
                backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
                client.setTcpNoDelay(true);
                backend.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(backend);
                start(client, backend, true);
                start(backend, client, false);
            } catch (IOException e) {
                reset(client); // backend down: the client sees a reset, as it would from the server
            }
        }
    }

    private void start(Socket from, Socket to, boolean requests) {
        Thread t = new Thread(() -> pump(from, to, requests), "proxy-" + (requests ? "req" : "rep"));
        t.setDaemon(true);
        t.start();
    }

    private void pump(Socket from, Socket to, boolean requests) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                awaitFlowing(requests, from);
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                long delay = latencyMillis;
                if (delay > 0) {
                    Thread.sleep(delay);
                }
                // Bytes read before a stall began are held until it ends, as a network would hold them.
                awaitFlowing(requests, from);
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // reset, or the peer went away
        } finally {
            reset(from);
            reset(to);
        }
    }

    private void awaitFlowing(boolean requests, Socket from) throws InterruptedException {
        while ((requests ? requestsStalled : repliesStalled) && !from.isClosed() && !closed) {
            TimeUnit.NANOSECONDS.sleep(STALL_POLL_NANOS);
        }
    }

    private void reset(Socket socket) {
        try {
            if (!socket.isClosed()) {
                socket.setSoLinger(true, 0);
                socket.close();
            }
        } catch (IOException ignored) {
            // already gone
        }
        sockets.remove(socket);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        resetAll();
    }
}
