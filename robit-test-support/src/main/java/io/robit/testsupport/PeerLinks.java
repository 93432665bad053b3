package io.robit.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;
import java.util.stream.Stream;

/**
 * The peer links of a cluster of a test's own, each through a TCP forwarder on 127.0.0.1, so that a
 * member can be cut off from the others while its clients stay connected to it. A cut link stalls:
 * bytes are held both ways and the sockets stay open, as in a network partition (TCP retransmits
 * until it heals, then the bytes flow on, late); connections opened while cut are accepted and
 * stalled too. Each forwarder leads to one member. The member a connection comes from is known when a
 * forwarder serves one peer only (ZooKeeper lists its peers per server); with {@link #ANY_SOURCE}
 * (etcd, whose members share one list of peer URLs) it is the member process that owns the
 * connecting socket, read from {@code /proc}. Thread-safe.
 */
public final class PeerLinks implements AutoCloseable {
    /** The source of a forwarder that every member dials: found per connection from {@code /proc}. */
    public static final int ANY_SOURCE = -1;
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final IntToLongFunction pids;
    private final int members;
    private final List<ServerSocket> listeners = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Set<Integer> cut = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param members how many members the cluster has
     * @param pids the process id of a member now, or a negative number when it is not running
     */
    public PeerLinks(int members, IntToLongFunction pids) {
        this.members = members;
        this.pids = pids;
    }

    /**
     * Opens a forwarder to {@code targetPort} of member {@code target}, for connections from member
     * {@code source} (or {@link #ANY_SOURCE}); returns the port it listens on.
     */
    public int open(int source, int target, int targetPort) throws IOException {
        return open(source, target, targetPort, null);
    }

    /**
     * Like {@link #open(int, int, int)}, with {@code greeting} forwarding the first bytes of every
     * connection from the source (e.g. to rewrite an address it announces) before the rest flows as is.
     */
    public int open(int source, int target, int targetPort, Greeting greeting) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        listeners.add(server);
        Thread acceptor = new Thread(() -> accept(server, source, target, targetPort, greeting), "peer-link-" + source + "-" + target);
        acceptor.setDaemon(true);
        acceptor.start();
        return server.getLocalPort();
    }

    /** Cuts every link from or to {@code member}, both ways, until {@link #heal}. */
    public void cut(int member) {
        cut.add(member);
    }

    /** Lets every link flow again; held bytes flow on. */
    public void heal() {
        cut.clear();
    }

    private boolean blocked(int source, int target) {
        return cut.contains(target) || (source >= 0 && cut.contains(source));
    }

    /** Forwards the first message of a connection, changed as needed. */
    @FunctionalInterface
    public interface Greeting {
        void forward(java.io.DataInputStream from, java.io.DataOutputStream to) throws IOException;
    }

    private void accept(ServerSocket server, int source, int target, int targetPort, Greeting greeting) {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            int from = source != ANY_SOURCE ? source : owner(client.getPort(), server.getLocalPort());
            try {
                Socket backend = new Socket();
                backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
                client.setTcpNoDelay(true);
                backend.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(backend);
                pump(client, backend, from, target, greeting);
                pump(backend, client, from, target, null);
            } catch (IOException e) {
                reset(client); // member down: the peer sees a reset, as it would from the member
            }
        }
    }

    private void pump(Socket from, Socket to, int source, int target, Greeting greeting) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                if (greeting != null) {
                    awaitLinked(source, target, from);
                    java.io.DataOutputStream data = new java.io.DataOutputStream(out);
                    greeting.forward(new java.io.DataInputStream(in), data);
                    data.flush();
                }
                while (true) {
                    awaitLinked(source, target, from);
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    // Bytes read before a cut began are held until it heals, as a network would hold them.
                    awaitLinked(source, target, from);
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // reset, or the peer went away
            } finally {
                reset(from);
                reset(to);
            }
        }, "peer-link-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private void awaitLinked(int source, int target, Socket from) throws InterruptedException {
        while (blocked(source, target) && !from.isClosed() && !closed) {
            TimeUnit.NANOSECONDS.sleep(POLL_NANOS);
        }
    }

    /** The member whose process owns the socket {@code 127.0.0.1:clientPort} connected to {@code serverPort}, or {@link #ANY_SOURCE}. */
    private int owner(int clientPort, int serverPort) {
        // The socket may not be listed yet the instant it is accepted: look a few times.
        for (int attempt = 0; attempt < 5; attempt++) {
            String inode = inode(clientPort, serverPort);
            if (inode != null) {
                String link = "socket:[" + inode + "]";
                for (int member = 0; member < members; member++) {
                    long pid = pids.applyAsLong(member);
                    if (pid > 0 && ownsLink(pid, link)) {
                        return member;
                    }
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return ANY_SOURCE;
    }

    // /proc/net/tcp{,6}: "sl local_address rem_address st ... uid timeout inode"; addresses are HEXIP:HEXPORT.
    private static String inode(int localPort, int remotePort) {
        String local = String.format(Locale.ROOT, ":%04X", localPort);
        String remote = String.format(Locale.ROOT, ":%04X", remotePort);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try (Stream<String> lines = Files.lines(Path.of(table))) {
                String found = lines.skip(1).map(String::strip).map(line -> line.split("\\s+"))
                        .filter(f -> f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote)).map(f -> f[9])
                        .filter(inode -> !inode.equals("0")).findFirst().orElse(null);
                if (found != null) {
                    return found;
                }
            } catch (IOException | RuntimeException e) {
                // no such table
            }
        }
        return null;
    }

    private static boolean ownsLink(long pid, String link) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals(link);
                } catch (IOException | RuntimeException e) {
                    return false;
                }
            });
        } catch (IOException | RuntimeException e) {
            return false;
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
    public void close() {
        closed = true;
        for (ServerSocket listener : listeners) {
            try {
                listener.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Socket socket : sockets) {
            reset(socket);
        }
    }
}
