package io.robit.faults;

import io.robit.testsupport.EtcdServer;
import io.robit.testsupport.RedisServer;
import io.robit.testsupport.ZooKeeperServer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A backend server process of the suite's own on free loopback ports (redis-server, etcd, a
 * ZooKeeper JVM, from robit-test-support), that the faults may pause, kill and restart on the same
 * ports and data. Never one of the shared servers on their usual ports.
 */
final class ServerProcess implements Backend.Server {
    private final int port;
    private final io.robit.testsupport.ServerProcess process;

    private ServerProcess(int port, io.robit.testsupport.ServerProcess process) {
        this.port = port;
        this.process = process;
    }

    /** redis-server with the given persistence (what survives a SIGKILL). */
    static ServerProcess redis(Path dir, RedisPersistence persistence) throws IOException {
        List<String> args = new ArrayList<>(List.of("--protected-mode", "no"));
        args.addAll(persistence.arguments());
        RedisServer redis = RedisServer.startIn(dir, args);
        return new ServerProcess(redis.port(), redis.process());
    }

    /** A single-member etcd cluster. */
    static ServerProcess etcd(Path dir) {
        EtcdServer etcd = EtcdServer.startIn(dir);
        return new ServerProcess(etcd.clientPort(), etcd.process());
    }

    /** A standalone ZooKeeper in its own JVM, tick 500 ms (so sessions may be as short as 1 s), no admin server. */
    static ServerProcess zookeeper(Path dir, String java, String classPath) throws IOException {
        ZooKeeperServer zookeeper = ZooKeeperServer.start(dir, java, classPath);
        return new ServerProcess(zookeeper.port(), zookeeper.process());
    }

    int port() {
        return port;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public void start() throws IOException {
        process.start();
    }

    @Override
    public void kill() {
        process.kill();
    }

    @Override
    public void close() {
        process.close();
    }

    static String classPath() {
        return String.join(File.pathSeparator, io.robit.testsupport.ServerProcess.testClassPath().split(File.pathSeparator));
    }
}
