package io.robit.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The protected resource, a TCP server on 127.0.0.1 inside the harness: a <em>fenced</em> register
 * that accepts a write only if its token is at least the highest it has accepted, and beside it a
 * <em>shadow</em> register that accepts everything (what a user without fencing has). Every write
 * is logged with the harness's {@link System#nanoTime()} at the moment it was applied.
 *
 * <p>Protocol, one line each way: {@code F thread name token} or {@code U thread name token} (one
 * register pair per lock name; {@code thread} is {@code process/thread}), answered
 * {@code 1} (accepted) or {@code 0} (refused as stale). Also {@code P worker pid millis}: a worker
 * asks to be stopped (SIGSTOP, all its threads, like a stop-the-world GC) for {@code millis} right
 * after it checked its hold and before its write; the answer {@code 1} is queued before the stop,
 * so the worker reads it only after SIGCONT. Thread-safe.
 */
final class Oracle implements AutoCloseable {
    /** One write as the oracle applied it. */
    record Write(boolean fenced, String worker, String name, long token, long at, boolean accepted, long highestBefore) {
    }

    private final ServerSocket server;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Write> writes = new ArrayList<>();
    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private final java.util.Map<String, Long> fencedHighest = new java.util.HashMap<>(); // lock name -> highest accepted
    private final java.util.Map<String, Long> shadowHighest = new java.util.HashMap<>();
    private final java.util.Set<String> holdsSeen = new java.util.HashSet<>();
    private final Consumer<Fault> onPause;
    private volatile boolean closed;

    /** @param onPause told of every pause a worker asked for (see {@code P}) */
    Oracle(Consumer<Fault> onPause) throws IOException {
        this.onPause = onPause;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "oracle-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** A copy of every write so far, in the order applied. */
    List<Write> writes() {
        lock.lock();
        try {
            return new ArrayList<>(writes);
        } finally {
            lock.unlock();
        }
    }

    /** How many holds have written so far (distinct thread, name and token): a lower bound on acquisitions. */
    int holdsSeen() {
        lock.lock();
        try {
            return holdsSeen.size();
        } finally {
            lock.unlock();
        }
    }

    /** The process that made the last accepted fenced write, or null: most likely the holder now. */
    String lastWriter() {
        lock.lock();
        try {
            for (int i = writes.size() - 1; i >= 0; i--) {
                if (writes.get(i).fenced() && writes.get(i).accepted()) {
                    String writer = writes.get(i).worker();
                    int slash = writer.indexOf('/');
                    return slash < 0 ? writer : writer.substring(0, slash);
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    private boolean apply(boolean fenced, String worker, String name, long token) {
        lock.lock();
        try {
            java.util.Map<String, Long> registers = fenced ? fencedHighest : shadowHighest;
            long highest = registers.getOrDefault(name, Long.MIN_VALUE);
            boolean accepted = !fenced || token >= highest;
            if (accepted && token > highest) {
                registers.put(name, token);
            }
            writes.add(new Write(fenced, worker, name, token, System.nanoTime(), accepted, highest));
            if (fenced) {
                holdsSeen.add(worker + " " + name + " " + token);
            }
            return accepted;
        } finally {
            lock.unlock();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                clients.add(socket);
                Thread t = new Thread(() -> serve(socket), "oracle-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket;
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))) {
            OutputStream out = socket.getOutputStream();
            String line;
            while ((line = in.readLine()) != null) {
                String[] parts = line.split(" ");
                if (parts.length == 4 && parts[0].equals("P")) {
                    long pid = Long.parseLong(parts[2]);
                    long start = System.nanoTime();
                    Signals.send("STOP", pid);
                    out.write("1\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(Long.parseLong(parts[3]));
                    Signals.send("CONT", pid);
                    onPause.accept(new Fault(Fault.Kind.PAUSE_WORKER, parts[1], "requested between check and write, " + parts[3] + " ms",
                            start, System.nanoTime()));
                    continue;
                }
                if (parts.length != 4 || !(parts[0].equals("F") || parts[0].equals("U"))) {
                    out.write("E\n".getBytes(StandardCharsets.US_ASCII));
                    continue;
                }
                boolean accepted = apply(parts[0].equals("F"), parts[1], parts[2], Long.parseLong(parts[3]));
                out.write((accepted ? "1\n" : "0\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // a worker killed with SIGKILL, or the oracle closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            clients.remove(socket);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket socket : clients) {
            socket.close();
        }
    }
}
