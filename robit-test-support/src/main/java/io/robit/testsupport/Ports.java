package io.robit.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * Free loopback ports for servers of a test's own.
 *
 * <p>A port the kernel hands out for port 0 lies in the ephemeral range, where any outgoing connection
 * (a client of the shared Redis, a JDBC pool) may take it as its local port before the test's server
 * binds. So ports come from below that range, at random, each checked by binding it, and never the same
 * port twice in one JVM.
 */
public final class Ports {
    private static final int LOWEST = 10_000;
    private static final int ATTEMPTS = 200;
    /** The first port of the kernel's ephemeral range, read once: it does not change during a test run. */
    private static final int EPHEMERAL_LOW = ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    // Both guarded by the class: free() is synchronized.
    private static final Random RANDOM = new Random();
    private static final Set<Integer> GIVEN = new HashSet<>();

    private Ports() {
    }

    /** A port on 127.0.0.1 that was free a moment ago, outside the ephemeral range where it can. */
    public static int free() {
        return EPHEMERAL_LOW - LOWEST >= 1_000 ? free(LOWEST, EPHEMERAL_LOW) : anyFree();
    }

    /** A bindable port in [lowest, below) not handed out before, or one from port 0 if none is found. */
    static synchronized int free(int lowest, int below) {
        for (int i = 0; i < ATTEMPTS; i++) {
            int port = lowest + RANDOM.nextInt(below - lowest);
            if (!GIVEN.contains(port) && bindable(port)) {
                GIVEN.add(port);
                return port;
            }
        }
        return anyFree();
    }

    /** The first port of the kernel's ephemeral range (32768 on Linux by default). */
    static int ephemeralLow() {
        return EPHEMERAL_LOW;
    }

    private static int ephemeralLow(Path range) {
        try {
            // Not Files.readString: it trusts the size procfs reports, and reads one byte of this file.
            return Integer.parseInt(Files.readAllLines(range).get(0).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0; // unknown: free() falls back to port 0
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int anyFree() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
