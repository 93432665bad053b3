package io.robit.zookeeper;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A loopback proxy in front of a ZooKeeper server that loses the answer to one request: once
 * {@linkplain #dropAnswerTo armed}, the first client request whose bytes contain the marker is
 * forwarded (so the server carries it out), its answer is swallowed and the connection is closed,
 * as a network that fails at that moment would. The client then reconnects (through this proxy,
 * now transparent) within its session. Frames are read whole (ZooKeeper's 4-byte length prefix),
 * so the answer is found by the request's xid, not by timing.
 */
final class CreateAnswerDropper implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicReference<byte[]> marker = new AtomicReference<>();
    private final CountDownLatch dropped = new CountDownLatch(1);

    private CreateAnswerDropper(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "create-answer-dropper-accept");
        accept.setDaemon(true);
        accept.start();
    }

    static CreateAnswerDropper to(InetSocketAddress target) throws IOException {
        return new CreateAnswerDropper(target);
    }

    /** The connect string that goes through this proxy. */
    String connectString() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** Loses the answer to the next request whose bytes contain {@code text} (a node path, say). */
    void dropAnswerTo(String text) {
        marker.set(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether an answer was swallowed within {@code wait}. */
    boolean awaitDropped(Duration wait) throws InterruptedException {
        return dropped.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(server);
                new Connection(client, server).start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    /** One client connection and its server connection, each direction pumped frame by frame. */
    private final class Connection {
        private final Socket client;
        private final Socket server;
        // The xid of the request whose answer is lost; Integer.MIN_VALUE while there is none.
        private volatile int doomedXid = Integer.MIN_VALUE;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void start() {
            thread("up", () -> pump(client.getInputStream(), server.getOutputStream(), true));
            thread("down", () -> pump(server.getInputStream(), client.getOutputStream(), false));
        }

        private void thread(String direction, Pump pump) {
            Thread t = new Thread(() -> {
                try {
                    pump.run();
                } catch (IOException e) {
                    // a side closed: end both
                } finally {
                    closeBoth();
                }
            }, "create-answer-dropper-" + direction);
            t.setDaemon(true);
            t.start();
        }

        // The first frame each way is the session handshake; every later one starts with its xid.
        private void pump(InputStream from, OutputStream to, boolean requests) throws IOException {
            DataInputStream in = new DataInputStream(from);
            DataOutputStream out = new DataOutputStream(to);
            boolean handshake = true;
            while (true) {
                int length = in.readInt();
                byte[] body = new byte[length];
                in.readFully(body);
                int xid = !handshake && length >= 4 ? ByteBuffer.wrap(body).getInt() : Integer.MIN_VALUE;
                handshake = false;
                if (requests) {
                    byte[] wanted = marker.get();
                    if (wanted != null && contains(body, wanted) && marker.compareAndSet(wanted, null)) {
                        doomedXid = xid; // before it is sent, so its answer cannot pass
                    }
                } else if (xid != Integer.MIN_VALUE && xid == doomedXid) {
                    dropped.countDown();
                    return; // the answer goes nowhere, and the connection with it
                }
                out.writeInt(length);
                out.write(body);
                out.flush();
            }
        }

        private void closeBoth() {
            try {
                client.close();
                server.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    private interface Pump {
        void run() throws IOException;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
