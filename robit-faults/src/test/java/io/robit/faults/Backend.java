package io.robit.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A backend under test: how workers reach it (through the fault proxy when it has a TCP port), the
 * server process the suite owns (if any), and which faults apply to it.
 */
interface Backend extends AutoCloseable {

    /** The name used in reports, e.g. {@code redis}. */
    String name();

    /** The TCP port the fault proxy forwards to; empty when the backend is not reached over TCP. */
    OptionalInt port();

    /** The driver URI that reaches the backend on {@code port} (the proxy's, or the real one). */
    String uri(int port);

    /** The server process the suite started itself and may pause, kill and restart. */
    default Optional<Server> server() {
        return Optional.empty();
    }

    /** What the backend itself holds for lock {@code name}, for the report of an orphaned lock; empty if it cannot say. */
    default String inspect(String name) {
        return "";
    }

    /** The faults that apply. */
    default Set<Fault.Kind> faults() {
        Set<Fault.Kind> kinds = EnumSet.of(Fault.Kind.PAUSE_WORKER, Fault.Kind.KILL_WORKER, Fault.Kind.GC_PAUSE, Fault.Kind.CLOCK_JUMP);
        if (port().isPresent()) {
            kinds.addAll(EnumSet.of(Fault.Kind.STALL_BOTH, Fault.Kind.STALL_REPLIES, Fault.Kind.LATENCY, Fault.Kind.RESET));
        }
        if (server().isPresent()) {
            kinds.addAll(EnumSet.of(Fault.Kind.PAUSE_SERVER, Fault.Kind.KILL_SERVER));
            if (server().get().canCut()) {
                kinds.add(Fault.Kind.CUT_MEMBER);
            }
        }
        return kinds;
    }

    @Override
    default void close() throws Exception {
        if (server().isPresent()) {
            server().get().close();
        }
    }

    /** A server process the suite owns; of a cluster, the faults go to the leader/master (or a member it picks). */
    interface Server extends AutoCloseable {
        /** The process to pause: of a cluster, the leader's now. */
        long pid();

        /** Who {@link #pid()} is, for the fault log, e.g. {@code leader m1}; empty for a single server. */
        default String describe() {
            return "";
        }

        /** Whether {@link #cut} works: a cluster whose peer links go through forwarders. */
        default boolean canCut() {
            return false;
        }

        /** Cuts the leader, or a follower, off from its peers until {@link #heal}; returns which member it cut. */
        default String cut(boolean leader) {
            throw new UnsupportedOperationException("not a cluster");
        }

        /** Ends a {@link #cut}. */
        default void heal() {
        }

        /** The run's lock names, told before the first fault: a sharded backend faults the shards that serve them. */
        default void lockNames(java.util.List<String> names) {
        }

        /** Starts it again on the same port and data directory, and waits until it answers. */
        void start() throws IOException;

        /** SIGKILL, and wait for it to be gone. */
        void kill() throws InterruptedException;

        @Override
        void close() throws InterruptedException;
    }

    /** A redis-server of the suite's own with the given persistence, faulted in every way. */
    static Backend redis(Path dir, RedisPersistence persistence) throws IOException {
        String name = persistence == RedisPersistence.ALWAYS ? "redis" : "redis-" + persistence.name().toLowerCase(java.util.Locale.ROOT);
        ServerProcess server = ServerProcess.redis(dir.resolve("redis"), persistence);
        return owned(name, server, port -> "redis://127.0.0.1:" + port, lock -> {
            // The driver's default key layout (RedisDriver): the lock key holds the owner, its PTTL the lease.
            try (RawRedis raw = new RawRedis("127.0.0.1", server.port())) {
                String key = "robit:{" + lock + "}";
                return "redis " + key + " = " + raw.ask("GET", key) + ", pttl " + raw.ask("PTTL", key) + ", token "
                        + raw.ask("GET", key + ":token") + ", waiters pttl " + raw.ask("PTTL", key + ":waiters");
            }
        });
    }

    /** A single-member etcd of the suite's own, faulted in every way. */
    static Backend etcd(Path dir) throws IOException {
        return owned("etcd", ServerProcess.etcd(dir.resolve("etcd")), port -> "etcd://127.0.0.1:" + port + "?timeout=2s", lock -> "");
    }

    /** A standalone ZooKeeper JVM of the suite's own, faulted in every way. */
    static Backend zookeeper(Path dir, String java) throws IOException {
        ServerProcess server = ServerProcess.zookeeper(dir.resolve("zookeeper"), java, ServerProcess.classPath());
        return owned("zookeeper", server, port -> "zookeeper://127.0.0.1:" + port + "?sessionTimeout=2s&connectionTimeout=2s", lock -> "");
    }

    private static Backend owned(String name, ServerProcess server, java.util.function.IntFunction<String> uri,
                                 java.util.function.UnaryOperator<String> inspect) {
        return new Backend() {
            @Override
            public String inspect(String lock) {
                return inspect.apply(lock);
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public OptionalInt port() {
                return OptionalInt.of(server.port());
            }

            @Override
            public String uri(int port) {
                return uri.apply(port);
            }

            @Override
            public Optional<Server> server() {
                return Optional.of(server);
            }
        };
    }

    /**
     * A SQLite file in the run's directory: no network, so only worker faults apply, and not clock
     * jumps: SQLite expires rows by the wall clock of the process running the statement, which
     * processes of one host share (see docs/reliability.md, limitations).
     */
    static Backend sqlite(Path dir) {
        Path file = dir.resolve("locks.db").toAbsolutePath();
        return new Backend() {
            @Override
            public Set<Fault.Kind> faults() {
                return EnumSet.of(Fault.Kind.PAUSE_WORKER, Fault.Kind.KILL_WORKER, Fault.Kind.GC_PAUSE);
            }

            @Override
            public String name() {
                return "sqlite";
            }

            @Override
            public OptionalInt port() {
                return OptionalInt.empty();
            }

            @Override
            public String uri(int port) {
                return "sqlite:" + file;
            }
        };
    }

    /**
     * A SQL server on 127.0.0.1 used as a plain client (the shared PostgreSQL or MariaDB): only the
     * proxy and the workers are faulted, never the server.
     */
    static Backend sqlServer(String name, String scheme, int port, String userInfo) {
        return new Backend() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public OptionalInt port() {
                return OptionalInt.of(port);
            }

            @Override
            public String uri(int p) {
                // A table of the suite's own; short timeouts so a stalled connection fails rather than hangs.
                // MariaDB Connector/J 4 asks for TLS unless told otherwise; the shared server has none.
                String timeouts = scheme.startsWith("postgres") ? "connectTimeout=2&socketTimeout=5"
                        : "connectTimeout=2000&socketTimeout=5000&sslMode=disable";
                return scheme + "://" + userInfo + "@127.0.0.1:" + p + "/test?table=robit_faults&createTable=true&" + timeouts;
            }
        };
    }
}
