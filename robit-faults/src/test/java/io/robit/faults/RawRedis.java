package io.robit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bare RESP connection for the negative control that releases other holders' locks (it sends
 * what a careless driver would: {@code DEL} of the lock key, no owner check, and wakes the waiters
 * the way a real release does) and for the orphan check's look at a lock key. Reconnects after any error; errors are ignored (a control, not a
 * driver). Thread-safe.
 */
final class RawRedis implements AutoCloseable {
    private final String host;
    private final int port;
    private final ReentrantLock lock = new ReentrantLock();
    private Socket socket;

    RawRedis(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Deletes {@code key} and publishes on its release channel; quiet on failure. */
    void del(String key) {
        lock.lock();
        try {
            command("DEL", key);
            command("PUBLISH", key + ":released", "x");
        } catch (IOException e) {
            closeQuietly();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends one command and returns its reply as text (an integer, a status, an error, a bulk string
     * or {@code nil}), or the exception; for the orphan check's diagnostics.
     */
    String ask(String... args) {
        lock.lock();
        try {
            send(args);
            String first = line();
            if (first.startsWith("$") && !first.equals("$-1")) {
                return line();
            }
            return first.equals("$-1") ? "nil" : first;
        } catch (IOException e) {
            closeQuietly();
            return e.toString();
        } finally {
            lock.unlock();
        }
    }

    private String line() throws IOException {
        StringBuilder s = new StringBuilder();
        InputStream in = socket.getInputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("closed");
            }
            if (c != '\r') {
                s.append((char) c);
            }
        }
        return s.toString();
    }

    private void command(String... args) throws IOException {
        send(args);
        line(); // every reply the control needs is one line (an integer)
    }

    private void send(String... args) throws IOException {
        if (socket == null || socket.isClosed()) {
            socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 1000);
            socket.setSoTimeout(2000);
        }
        StringBuilder s = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            s.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        OutputStream out = socket.getOutputStream();
        out.write(s.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void closeQuietly() {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // gone
        }
        socket = null;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closeQuietly();
        } finally {
            lock.unlock();
        }
    }
}
