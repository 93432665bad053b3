package io.robit.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The peer-link forwarders on an echo server of the test's own: a cut stalls both ways and heals
 * with the held bytes delivered; a forwarder for any source finds the member by the process that
 * owns the connecting socket (this JVM, here); a greeting rewrites the first message.
 */
class PeerLinksTest {
    private static final long SELF = ProcessHandle.current().pid();

    @Test
    void aCutStallsTheLinkAndAHealDeliversWhatWasHeld() throws Exception {
        try (Echo echo = new Echo(); PeerLinks links = new PeerLinks(2, member -> member == 0 ? SELF : -1)) {
            int port = links.open(0, 1, echo.port());
            try (Socket socket = connect(port)) {
                assertThat(roundTrip(socket, 'a')).isEqualTo('a');
                links.cut(1);
                socket.getOutputStream().write('b');
                // Nothing comes back while the link is cut: the read waits out its 500 ms timeout.
                assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                links.heal();
                socket.setSoTimeout(10_000);
                assertThat((char) socket.getInputStream().read()).isEqualTo('b');
            }
        }
    }

    @Test
    void aLinkFromAnySourceIsCutWhenTheMemberThatDialledIsCut() throws Exception {
        try (Echo echo = new Echo(); PeerLinks links = new PeerLinks(3, member -> member == 0 ? SELF : -1)) {
            int port = links.open(PeerLinks.ANY_SOURCE, 1, echo.port());
            links.cut(2); // neither end of this link
            try (Socket socket = connect(port)) {
                assertThat(roundTrip(socket, 'a')).as("a cut of another member leaves the link alone").isEqualTo('a');
            }
            links.cut(0); // this JVM dials: member 0
            try (Socket socket = connect(port)) {
                socket.getOutputStream().write('b');
                assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            }
        }
    }

    @Test
    void aGreetingRewritesTheFirstMessageOnly() throws Exception {
        try (Echo echo = new Echo(); PeerLinks links = new PeerLinks(2, member -> -1)) {
            int port = links.open(0, 1, echo.port(), (DataInputStream in, java.io.DataOutputStream out) -> out.writeByte(Character.toUpperCase(in.readByte())));
            try (Socket socket = connect(port)) {
                assertThat(roundTrip(socket, 'a')).isEqualTo('A');
                assertThat(roundTrip(socket, 'b')).isEqualTo('b');
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(500);
        return socket;
    }

    private static char roundTrip(Socket socket, char c) throws IOException {
        socket.getOutputStream().write(c);
        socket.setSoTimeout(10_000);
        int answer = socket.getInputStream().read();
        socket.setSoTimeout(500);
        return (char) answer;
    }

    /** Sends back every byte it receives, one connection at a time per thread. */
    private static final class Echo implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());

        Echo() throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        Thread echo = new Thread(() -> {
                            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                                int b;
                                while ((b = in.read()) >= 0) {
                                    out.write(b);
                                    out.flush();
                                }
                            } catch (IOException e) {
                                // the test closed it
                            }
                        });
                        echo.setDaemon(true);
                        echo.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
