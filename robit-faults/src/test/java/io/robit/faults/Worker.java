package io.robit.faults;

import io.robit.Drivers;
import io.robit.Ticker;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One worker process of a fault run ({@code java -cp ... io.robit.faults.Worker key=value...}),
 * shaped like an application: one driver opened through {@link Drivers#open} and shared by
 * {@code threads} application threads ({@link WorkerLoop}), each working on random names out of
 * {@code names} lock names. A stall detector records every gap in the process's scheduling, a
 * {@link TimerProbe} every late wake-up of Robit's timer thread; a
 * control thread watches for the stop file and for the harness's request to allocate hard (the
 * GC-pause fault). Everything goes to one JSON-lines history; the harness also starts the JVM with a
 * safepoint log beside it ({@link SafepointLog}).
 *
 * <p>Arguments: {@code uri lock names threads ttlMs driftMs oraclePort history stopFile seed worker
 * runMs pauseBeforeWrite broken [redis=host:port]} ({@code broken} picks a negative control's
 * broken driver, see {@link Broken}).
 */
public final class Worker {
    static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Attempts to open the driver before the worker gives up (about a minute with the backoff). */
    static final int OPEN_TRIES = 40;

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
        Path historyFile = Path.of(a.get("history"));
        Path gcFile = historyFile.resolveSibling(worker + ".gc");
        long runNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(a.get("runMs")));
        long seed = Long.parseLong(a.get("seed"));
        double pauseProbability = Double.parseDouble(a.getOrDefault("pauseBeforeWrite", "0"));
        Broken broken = Broken.valueOf(a.getOrDefault("broken", "NONE"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "1"));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < Integer.parseInt(a.getOrDefault("names", "1")); i++) {
            names.add(a.get("lock") + "-" + i);
        }
        // The negative control's delayed notice: the core's clock runs at half speed, so its local deadline comes late.
        long origin = System.nanoTime();
        Ticker ticker = broken == Broken.HIDE_LOSS ? () -> origin + (System.nanoTime() - origin) / 2 : Ticker.system();
        RawRedis raw = null;
        if (a.containsKey("redis")) {
            String[] hostPort = a.get("redis").split(":");
            raw = new RawRedis(hostPort[0], Integer.parseInt(hostPort[1]));
        }
        AtomicBoolean stop = new AtomicBoolean();
        ScheduledExecutorService interrupts = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "interrupter");
            t.setDaemon(true);
            return t;
        });
        try (History history = new History(historyFile);
             RecordingDriver driver = new RecordingDriver(maybeBroken(open(a.get("uri"), history, worker), broken), history, worker, broken, raw)) {
            history.record("w", worker, "e", "start", "t", System.nanoTime(), "pid", ProcessHandle.current().pid(), "threads", threads);
            startStallDetector(history, worker);
            TimerProbe.start(history, worker);
            if (broken == Broken.BUSY_TIMER) {
                keepTimerBusy(ttl);
            }
            // A bound in case the harness dies; it stops the worker with the stop file. Counted from here: on a
            // loaded host opening the driver alone took 25 s once, and a bound counted from the JVM's start
            // made every worker of a CI run stop before its first acquire.
            startControl(history, worker, stopFile, gcFile, System.nanoTime() + runNanos, stop);
            List<Thread> loops = new ArrayList<>();
            int port = Integer.parseInt(a.get("oraclePort"));
            for (int i = 0; i < threads; i++) {
                WorkerLoop loop = new WorkerLoop(worker, history, driver, names, ttl, drift, ticker, new OracleClient(port), seed * 1009 + i,
                        interrupts, pauseProbability, Integer.parseInt(a.getOrDefault("longEvery", "4")), stop::get);
                Thread t = new Thread(loop, "t" + i);
                loops.add(t);
                t.start();
            }
            // The harness sends faults only to workers that are running (a JVM still starting has nothing to lose).
            Files.writeString(historyFile.resolveSibling(worker + ".ready"), Long.toString(System.nanoTime()));
            for (Thread t : loops) {
                t.join();
            }
            history.record("w", worker, "e", "exit", "t", System.nanoTime());
        } finally {
            if (raw != null) {
                raw.close();
            }
        }
        System.exit(0);
    }

    /**
     * Opens the driver, retrying for up to {@link #OPEN_TRIES} attempts: on a loaded host (or while
     * the harness blackholes the proxy or restarts the server) a first connection can time out, and
     * an application would retry rather than die. Each failure is recorded.
     */
    static io.robit.spi.Driver<String> open(String uri, History history, String worker) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return Drivers.open(uri);
            } catch (RuntimeException e) {
                history.record("w", worker, "e", "openErr", "t", System.nanoTime(), "attempt", attempt, "err", e.toString());
                if (attempt >= OPEN_TRIES) {
                    throw e;
                }
                Thread.sleep(Math.min(2000, 100L * attempt)); // backoff between attempts of a real application, not a fault
            }
        }
    }

    /**
     * The negative control {@link Broken#BUSY_TIMER}: Robit's timer thread spins for 2 ttl, then is
     * free for half a ttl, over and over, so most deadlines pass while it spins.
     */
    private static void keepTimerBusy(Duration ttl) {
        long spin = ttl.toNanos() * 2;
        io.robit.internal.Scheduling.timer().scheduleWithFixedDelay(() -> {
            long until = System.nanoTime() + spin;
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
        }, ttl.toNanos() / 2, ttl.toNanos() / 2, TimeUnit.NANOSECONDS);
    }

    /** The real driver, or for {@link Broken#CONTENTION_REUSES_TOKENS} the real driver with a broken contention. */
    private static io.robit.spi.Driver<String> maybeBroken(io.robit.spi.Driver<String> real, Broken broken) {
        return broken == Broken.CONTENTION_REUSES_TOKENS ? new ContentionBreakingDriver(real) : real;
    }

    /** Sets {@code stop} when the stop file appears or the run time is up; runs the harness's GC-pause requests. */
    private static void startControl(History history, String worker, Path stopFile, Path gcFile, long endAt, AtomicBoolean stop) {
        Thread control = new Thread(() -> {
            long wall = System.currentTimeMillis();
            long mono = System.nanoTime();
            while (!stop.get()) {
                try {
                    Thread.sleep(20);
                    // Evidence that a clock-jump fault took effect: the wall clock moved apart from the monotonic one.
                    long wallNow = System.currentTimeMillis();
                    long monoNow = System.nanoTime();
                    long skew = (wallNow - wall) - (monoNow - mono) / 1_000_000;
                    if (Math.abs(skew) > 500) {
                        history.record("w", worker, "e", "wallClockStep", "t", monoNow, "ms", skew);
                    }
                    wall = wallNow;
                    mono = monoNow;
                    if (Files.exists(stopFile) || System.nanoTime() - endAt > 0) {
                        history.record("w", worker, "e", "stopping", "t", System.nanoTime(), "stopFile", Files.exists(stopFile));
                        stop.set(true);
                    }
                    if (Files.exists(gcFile)) {
                        long millis = Long.parseLong(Files.readString(gcFile).strip());
                        Files.deleteIfExists(gcFile);
                        long from = System.nanoTime();
                        GcPressure.allocateHard(millis);
                        history.record("w", worker, "e", "gc", "from", from, "t", System.nanoTime(), "ms", millis);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    history.record("w", worker, "e", "controlErr", "t", System.nanoTime(), "err", e.toString());
                }
            }
        }, "control");
        control.setDaemon(true);
        control.start();
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

    /** A blocking line client of the oracle. Not thread-safe: each {@link WorkerLoop} has its own. */
    static final class OracleClient implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        OracleClient(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setTcpNoDelay(true);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        boolean write(char kind, String thread, String name, long token) throws IOException {
            out.write((kind + " " + thread + " " + name + " " + token + "\n").getBytes(StandardCharsets.US_ASCII));
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
