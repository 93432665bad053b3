package io.robit.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process runner and the probes, on {@code sleep} and a socket of the test's own: no server needed. */
class ServerProcessTest {
    @TempDir
    Path dir;

    @Test
    void startsKillsAndStartsAgain() throws IOException {
        try (ServerProcess sleeper = ServerProcess.start("sleeper", List.of("sleep", "60"), dir.resolve("sleeper.log"), Duration.ofSeconds(10), () -> true)) {
            long first = sleeper.pid();
            assertThat(sleeper.isAlive()).isTrue();
            assertThat(ServerProcess.isStopped(first)).as("running").isFalse();
            sleeper.pause();
            assertThat(ServerProcess.isStopped(first)).as("once pause() returned").isTrue();
            sleeper.resume();
            assertThat(ServerProcess.isStopped(first)).as("once resume() returned").isFalse();
            sleeper.kill();
            assertThat(sleeper.isAlive()).isFalse();
            assertThat(ServerProcess.isStopped(first)).as("ended").isFalse();
            sleeper.start();
            assertThat(sleeper.isAlive()).isTrue();
            assertThat(sleeper.pid()).isNotEqualTo(first);
        }
    }

    @Test
    void aLogThatSaysAPortWasTakenIsToldFromOtherFailures() throws IOException {
        Path taken = dir.resolve("taken.log");
        java.nio.file.Files.writeString(taken, "listen tcp 127.0.0.1:42419: bind: address already in use\n");
        Path redis = dir.resolve("redis.log");
        java.nio.file.Files.writeString(redis, "# Warning: Could not create server TCP listening socket 127.0.0.1:6390: bind: Address already in use\n");
        Path other = dir.resolve("other.log");
        java.nio.file.Files.writeString(other, "etcdmain: member has already been bootstrapped\n");
        assertThat(ServerProcess.portTaken(taken)).isTrue();
        assertThat(ServerProcess.portTaken(redis)).isTrue();
        assertThat(ServerProcess.portTaken(other)).isFalse();
        assertThat(ServerProcess.portTaken(dir.resolve("missing.log"))).isFalse();
    }

    @Test
    void aProcessThatExitsIsReportedWithItsLog() {
        assertThatThrownBy(() -> ServerProcess.start("quitter", List.of("true"), dir.resolve("quitter.log"), Duration.ofSeconds(10), () -> false))
                .isInstanceOf(IOException.class).hasMessageContaining("quitter exited").hasMessageContaining("quitter.log");
    }

    @Test
    void aProcessNeverReadyIsKilledAfterTheStartupTime() {
        assertThatThrownBy(() -> ServerProcess.start("mute", List.of("sleep", "60"), dir.resolve("mute.log"), Duration.ofMillis(300), () -> false))
                .isInstanceOf(IOException.class).hasMessageContaining("not ready within");
    }

    @Test
    void probesTellAListenerFromNothingAndARedisFromASilentSocket() throws IOException {
        int nothing = Ports.free();
        assertThat(Probes.listening(nothing)).isFalse();
        assertThat(Probes.redisPing(nothing)).isFalse();
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(Probes.listening(silent.getLocalPort())).isTrue();
            assertThat(Probes.redisPing(silent.getLocalPort())).as("accepts, never answers PONG").isFalse();
            assertThat(Probes.etcdHealthy(silent.getLocalPort())).isFalse();
        }
    }
}
