package io.robit.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * In-process ZooKeeper servers (Curator's {@code TestingServer}; the caller needs curator-test on
 * its class path) on free loopback ports, with a short tick so that sessions can be short.
 * {@link #shared()} is one per test JVM; tests that stop or restart a server start their own.
 */
public final class ZooKeeperTestServer {
    /** Tick of test servers: sessions may be negotiated between 2 and 20 ticks (0.4 s to 4 s). */
    public static final int TICK_MS = 200;

    private ZooKeeperTestServer() {
    }

    /** The server shared by the tests of this JVM: started on first use, stopped when the JVM exits. */
    public static TestingServer shared() {
        return Shared.SERVER;
    }

    /** A new server with {@link #TICK_MS}. The caller closes it. */
    public static TestingServer start() {
        return start(TICK_MS);
    }

    /** A new server whose sessions may last from 2 to 20 ticks of {@code tickMs}. The caller closes it. */
    public static TestingServer start(int tickMs) {
        try {
            InstanceSpec spec = new InstanceSpec(null, Ports.free(), -1, -1, true, -1, tickMs, -1, Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
            return new TestingServer(spec, true);
        } catch (Exception e) {
            throw new IllegalStateException("could not start an in-process ZooKeeper", e);
        }
    }

    private static final class Shared {
        static final TestingServer SERVER = start();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    SERVER.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, "zookeeper-test-server-stop"));
        }
    }
}
