package io.robit.testsupport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Whether a server on a loopback port answers yet; each probe gives up within about two seconds. */
public final class Probes {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private Probes() {
    }

    /** Something accepts connections on {@code port}. */
    public static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A redis-server (or Sentinel) answers PING with PONG. */
    public static boolean redisPing(int port) {
        return answers(port, "PING\r\n", "+PONG");
    }

    /** A ZooKeeper server answers the {@code ruok} four-letter word (it must be whitelisted). */
    public static boolean zookeeperOk(int port) {
        return answers(port, "ruok", "imok");
    }

    /** The reply of a ZooKeeper four-letter word such as {@code srvr}, or "" when none came. */
    public static String zookeeperCommand(int port, String word) {
        try (Socket socket = connect(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    /** etcd's plain-http {@code /health} on {@code port} says it is healthy. */
    public static boolean etcdHealthy(int port) {
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(2)).build();
        try {
            HttpResponse<String> response = HTTP.send(health, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("true");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean answers(int port, String request, String answerPrefix) {
        try (Socket socket = connect(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] answer = socket.getInputStream().readNBytes(answerPrefix.length());
            return new String(answer, StandardCharsets.US_ASCII).equals(answerPrefix);
        } catch (IOException e) {
            return false;
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            socket.setSoTimeout(2000);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }
}
