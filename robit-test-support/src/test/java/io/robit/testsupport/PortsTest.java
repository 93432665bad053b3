package io.robit.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Ports for a test's own servers lie below the ephemeral range (where no outgoing connection can take
 * them between the choice and the bind), are bindable, and are not handed out twice.
 */
class PortsTest {
    @Test
    void portsAreFreeBelowTheEphemeralRangeAndNeverRepeated() throws Exception {
        int ephemeralLow = Ports.ephemeralLow();
        assumeThat(ephemeralLow).as("a Linux ephemeral range with room below it").isGreaterThan(11_000);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            int port = Ports.free();
            assertThat(port).isBetween(10_000, ephemeralLow - 1);
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertThat(socket.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aPortIsNeverHandedOutTwiceEvenWhenTheRangeRunsOut() {
        int lowest = 20_000 + new Random().nextInt(9_000);
        Set<Integer> range = new HashSet<>();
        for (int port = lowest; port < lowest + 5; port++) {
            range.add(port);
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            seen.add(Ports.free(lowest, lowest + 5));
        }
        // Five calls over five ports: each port once (a port someone else holds is replaced by one from port 0).
        assertThat(seen).hasSize(5);
        assertThat(Ports.free(lowest, lowest + 5)).as("the range is used up").isNotIn(range);
    }
}
