package io.robit.faults;

import io.robit.AlreadyReleasedException;
import io.robit.Drivers;
import io.robit.Held;
import io.robit.Loss;
import io.robit.Mutex;
import io.robit.MutexListener;
import io.robit.RobitException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One worker process of a fault run ({@code java -cp ... io.robit.faults.Worker key=value...}).
 * It opens its own driver through {@link Drivers#open}, then loops, bounded in cycles and time:
 * acquire (waiting up to one ttl) → 1–5 fenced writes to the {@link Oracle}, each after checking
 * the hold is not lost, each followed by the same write to the unfenced shadow → hold 0–1.5×ttl
 * (ends early on loss) → unlock. It records its beliefs to a JSON-lines history: {@code held}
 * (acquire returned), {@code lost} (Robit told it, from the loss event), {@code unlock} (it stopped
 * believing), and the {@link RecordingDriver}'s request times. It stops when the stop file exists.
 *
 * <p>With probability {@code pauseBeforeWrite} per hold it asks the harness to SIGSTOP it between
 * its check and its first write, the pause fencing exists for.
 *
 * <p>Arguments: {@code uri lock ttlMs driftMs oraclePort history stopFile seed worker maxCycles runMs
 * pauseBeforeWrite halveTtl} (the last is the negative control's broken driver).
 */
public final class Worker {
    static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private Worker() {
    }

    /** Runs one worker; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String worker = a.get("worker");
        Duration ttl = Duration.ofMillis(Long.parseLong(a.get("ttlMs")));
        Duration drift = Duration.ofMillis(Long.parseLong(a.get("driftMs")));
        Path stopFile = Path.of(a.get("stopFile"));
        long maxCycles = Long.parseLong(a.get("maxCycles"));
        long endAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(a.get("runMs")));
        Random random = new Random(Long.parseLong(a.get("seed")));
        double pauseProbability = Double.parseDouble(a.getOrDefault("pauseBeforeWrite", "0"));
        try (History history = new History(Path.of(a.get("history")));
             RecordingDriver driver = new RecordingDriver(Drivers.open(a.get("uri")), history, worker,
                     Boolean.parseBoolean(a.getOrDefault("halveTtl", "false")));
             OracleClient oracle = new OracleClient(Integer.parseInt(a.get("oraclePort")))) {
            history.record("w", worker, "e", "start", "t", System.nanoTime(), "pid", ProcessHandle.current().pid());
            startStallDetector(history, worker);
            Mutex<String> mutex = Mutex.builder(a.get("lock"), ttl, driver)
                    .driftMargin(drift)
                    .listener(new MutexListener() {
                        @Override
                        public void lost(Mutex<?> m, Loss loss) {
                            history.record("w", worker, "e", "lost", "t", System.nanoTime(), "token", loss.fencingToken(), "reason", loss.reason());
                        }
                    })
                    .build();
            long cycles = 0;
            while (cycles < maxCycles && System.nanoTime() - endAt < 0 && !Files.exists(stopFile)) {
                cycles++;
                Optional<Held> acquired;
                try {
                    acquired = mutex.tryLock(ttl);
                } catch (RobitException e) {
                    Thread.sleep(20 + random.nextInt(100));
                    continue;
                }
                if (acquired.isEmpty()) {
                    continue;
                }
                Held held = acquired.get();
                long token = held.fencingToken();
                history.record("w", worker, "e", "held", "t", System.nanoTime(), "token", token);
                int writes = 1 + random.nextInt(5);
                boolean pauseBeforeWrite = random.nextDouble() < pauseProbability;
                for (int i = 0; i < writes && !held.isLost(); i++) {
                    if (pauseBeforeWrite && i == 0) {
                        // The classic hazard: checked, then frozen, then the write goes out.
                        long millis = (long) ((0.5 + random.nextDouble() * 1.5) * ttl.toMillis());
                        history.record("w", worker, "e", "gcPause", "t", System.nanoTime(), "token", token, "ms", millis);
                        oracle.pauseMe(worker, millis);
                    }
                    long sent = System.nanoTime();
                    boolean accepted = oracle.write('F', worker, token);
                    long answered = System.nanoTime();
                    oracle.write('U', worker, token);
                    history.record("w", worker, "e", "write", "sent", sent, "t", answered, "token", token, "accepted", accepted);
                }
                long holdMillis = (long) (random.nextDouble() * 1.5 * ttl.toMillis());
                try {
                    held.lost().get(holdMillis, TimeUnit.MILLISECONDS);
                } catch (TimeoutException expected) {
                    // held the whole time
                } catch (ExecutionException lostWithReason) {
                    // lost; recorded by the listener
                }
                history.record("w", worker, "e", "unlock", "t", System.nanoTime(), "token", token);
                try {
                    mutex.unlock();
                    history.record("w", worker, "e", "unlocked", "t", System.nanoTime(), "token", token);
                } catch (AlreadyReleasedException e) {
                    history.record("w", worker, "e", "unlockLost", "t", System.nanoTime(), "token", token);
                }
            }
            history.record("w", worker, "e", "exit", "t", System.nanoTime(), "cycles", cycles);
        }
        System.exit(0);
    }

    /**
     * Records every stretch longer than {@link #STALL_NANOS} in which a thread that wakes every
     * 5 ms did not run: the process was not scheduled (CPU starvation on a busy host) or the JVM was
     * paused (GC safepoint). The checkers need it to tell a late notice Robit caused from one the
     * operating system caused.
     */
    private static void startStallDetector(History history, String worker) {
        Thread detector = new Thread(() -> {
            long previous = System.nanoTime();
            while (true) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                if (now - previous > STALL_NANOS) {
                    history.record("w", worker, "e", "stall", "from", previous, "t", now);
                }
                previous = now;
            }
        }, "stall-detector");
        detector.setDaemon(true);
        detector.setPriority(Thread.MAX_PRIORITY);
        detector.start();
    }

    /** A blocking line client of the oracle. Not thread-safe; used by the worker's one loop thread. */
    private static final class OracleClient implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        OracleClient(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setTcpNoDelay(true);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        boolean write(char kind, String worker, long token) throws IOException {
            out.write((kind + " " + worker + " " + token + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = in.readLine();
            if (answer == null) {
                throw new IOException("oracle closed the connection");
            }
            return answer.equals("1");
        }

        /** Asks the harness to SIGSTOP this process for {@code millis}; returns after SIGCONT. */
        void pauseMe(String worker, long millis) throws IOException {
            out.write(("P " + worker + " " + ProcessHandle.current().pid() + " " + millis + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.readLine();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
