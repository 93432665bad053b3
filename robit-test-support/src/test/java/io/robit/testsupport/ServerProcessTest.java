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
