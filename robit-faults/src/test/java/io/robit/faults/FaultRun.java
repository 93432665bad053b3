package io.robit.faults;

import io.robit.Drivers;
import io.robit.Held;
import io.robit.Mutex;
import io.robit.spi.Driver;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One fault run against one backend: starts the oracle, the proxy and the worker JVMs, injects a
 * seeded schedule of faults until the run time is up, lets the system quiesce, checks that the lock
 * is free again, and hands the histories to the {@link Checker}. Every loop is bounded in count and
 * time; every fault targets only processes and ports this run started. Not thread-safe.
 */
final class FaultRun {
    private static final double[] PAUSE_FACTORS = {0.5, 1.0, 1.5, 3.0};

    private final Backend backend;
    private final Config config;
    private final Path dir;
    private final Random random;
    private final List<Fault> faults = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Slot> slots = new ArrayList<>();
    private Oracle oracle;
    private FaultProxy proxy;
    private int incarnations;

    /**
     * What to run.
     *
     * @param seed drives the fault schedule and the workers' choices
     * @param workers worker JVMs at a time
     * @param ttl the lease length
     * @param run how long faults are injected
     * @param faultGap mean gap between faults
     * @param maxCyclesPerWorker a bound on each worker's acquire loop
     * @param pauseBeforeWrite the chance per hold that a worker is stopped between its check and its write
     * @param halveTtl the negative control: workers' drivers secretly ask the backend for half the ttl
     */
    record Config(long seed, int workers, Duration ttl, Duration run, Duration faultGap, long maxCyclesPerWorker, double pauseBeforeWrite,
                  boolean halveTtl) {
        /** The drift margin the workers use: Robit's default for the ttl (1% + 2 ms, at most 10%). */
        Duration drift() {
            Duration drift = ttl.dividedBy(100).plusMillis(2);
            return drift.compareTo(ttl.dividedBy(10)) > 0 ? ttl.dividedBy(10) : drift;
        }
    }

    /** A worker slot: the current process and its name (a killed worker's slot gets a new one). */
    private static final class Slot {
        Process process;
        String name;
    }

    FaultRun(Backend backend, Config config, Path dir) {
        this.backend = backend;
        this.config = config;
        this.dir = dir;
        this.random = new Random(config.seed());
    }

    /** Runs the whole thing and returns the checked result. */
    Checker.Report run() throws Exception {
        Files.createDirectories(dir);
        String lock = "faults-" + config.seed() + "-" + Long.toHexString(System.nanoTime());
        Path stopFile = dir.resolve("stop");
        Files.deleteIfExists(stopFile);
        long runStart = System.nanoTime();
        try (Oracle o = new Oracle(faults::add); FaultProxy p = backend.port().isPresent() ? new FaultProxy(backend.port().getAsInt()) : null) {
            oracle = o;
            proxy = p;
            String workerUri = backend.uri(p != null ? p.port() : 0);
            for (int i = 0; i < config.workers(); i++) {
                Slot slot = new Slot();
                slots.add(slot);
                startWorker(slot, workerUri, lock, stopFile);
            }
            awaitFirstWrite();
            long runEnd = System.nanoTime() + config.run().toNanos();
            Set<Fault.Kind> kinds = EnumSet.copyOf(backend.faults());
            List<Fault.Kind> menu = new ArrayList<>(kinds);
            java.util.Collections.shuffle(menu, random);
            int maxFaults = (int) (config.run().toMillis() / Math.max(1, config.faultGap().toMillis() / 4)) + 1;
            for (int n = 0; n < maxFaults && System.nanoTime() - runEnd < 0; n++) {
                long gap = (long) (config.faultGap().toMillis() * (0.5 + random.nextDouble()));
                sleepUntil(Math.min(runEnd, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(gap)));
                if (System.nanoTime() - runEnd >= 0) {
                    break;
                }
                // Every kind once, in a seeded order, so that even a short run covers them all; then at random.
                Fault.Kind kind = n < menu.size() ? menu.get(n) : menu.get(random.nextInt(menu.size()));
                inject(kind, workerUri, lock, stopFile);
            }
            long quiesceStart = System.nanoTime();
            quiesce(stopFile);
            String orphan = orphanCheck(lock);
            long end = System.nanoTime();
            writeFaultLog();
            writeOracleLog(o.writes());
            return new Checker(config, readWorkerHistories(), faults, o.writes(), orphan, runStart, quiesceStart, end).check(backend.name());
        } finally {
            for (Slot slot : slots) {
                if (slot.process != null && slot.process.isAlive()) {
                    Signals.send("CONT", slot.process.pid());
                    slot.process.destroyForcibly();
                }
            }
        }
    }

    private void inject(Fault.Kind kind, String workerUri, String lock, Path stopFile) throws Exception {
        long ttl = config.ttl().toMillis();
        long start = System.nanoTime();
        switch (kind) {
            case STALL_BOTH, STALL_REPLIES -> {
                double factor = PAUSE_FACTORS[random.nextInt(PAUSE_FACTORS.length)];
                boolean thenReset = random.nextBoolean();
                proxy.stall(kind == Fault.Kind.STALL_BOTH);
                Thread.sleep((long) (factor * ttl));
                if (thenReset) {
                    proxy.resetAll();
                }
                proxy.heal();
                faults.add(new Fault(kind, "proxy", factor + "xTTL" + (thenReset ? " then reset" : " then heal"), start, System.nanoTime()));
            }
            case LATENCY -> {
                long millis = 20 + random.nextInt((int) Math.max(1, ttl / 2));
                double factor = PAUSE_FACTORS[random.nextInt(PAUSE_FACTORS.length)];
                proxy.latency(millis);
                Thread.sleep((long) (factor * ttl));
                proxy.heal();
                faults.add(new Fault(kind, "proxy", millis + "ms for " + factor + "xTTL", start, System.nanoTime()));
            }
            case RESET -> {
                proxy.resetAll();
                faults.add(new Fault(kind, "proxy", "", start, System.nanoTime()));
            }
            case PAUSE_WORKER -> {
                Slot slot = target();
                double factor = PAUSE_FACTORS[random.nextInt(PAUSE_FACTORS.length)];
                long pid = slot.process.pid();
                Signals.send("STOP", pid);
                long stopped = System.nanoTime();
                Thread.sleep((long) (factor * ttl));
                Signals.send("CONT", pid);
                // The pause spans from just before SIGSTOP was sent to just after SIGCONT was.
                faults.add(new Fault(kind, slot.name, factor + "xTTL", start, Math.max(stopped, System.nanoTime())));
            }
            case KILL_WORKER -> {
                Slot slot = target();
                String victim = slot.name;
                slot.process.destroyForcibly();
                long killed = System.nanoTime();
                slot.process.waitFor(10, TimeUnit.SECONDS);
                faults.add(new Fault(kind, victim, "", start, killed));
                startWorker(slot, workerUri, lock, stopFile);
            }
            case PAUSE_SERVER -> {
                Backend.Server server = backend.server().orElseThrow();
                double factor = PAUSE_FACTORS[random.nextInt(PAUSE_FACTORS.length)];
                Signals.send("STOP", server.pid());
                Thread.sleep((long) (factor * ttl));
                Signals.send("CONT", server.pid());
                faults.add(new Fault(kind, "server", factor + "xTTL", start, System.nanoTime()));
            }
            case KILL_SERVER -> {
                Backend.Server server = backend.server().orElseThrow();
                double factor = PAUSE_FACTORS[random.nextInt(PAUSE_FACTORS.length)] / 2;
                server.kill();
                Thread.sleep((long) (factor * ttl));
                server.start();
                faults.add(new Fault(kind, "server", "down " + factor + "xTTL", start, System.nanoTime()));
            }
            default -> throw new IllegalStateException("unknown fault " + kind);
        }
    }

    // JVM start-up and first connections take seconds on a busy machine: faults begin once a worker holds.
    private void awaitFirstWrite() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (oracle.lastWriter() == null && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
    }

    // The worker that wrote last is most likely the holder; a fault there is the interesting one.
    private Slot target() {
        String last = oracle.lastWriter();
        if (last != null && random.nextInt(4) != 0) {
            for (Slot slot : slots) {
                if (slot.name.equals(last) && slot.process.isAlive()) {
                    return slot;
                }
            }
        }
        return slots.get(random.nextInt(slots.size()));
    }

    private void startWorker(Slot slot, String uri, String lock, Path stopFile) throws IOException {
        int index = slots.indexOf(slot);
        String name = "w" + index + "." + incarnations++;
        long remainingMs = Math.max(1000, config.run().toMillis() + 5000);
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath(), Worker.class.getName(),
                "uri=" + uri, "lock=" + lock, "ttlMs=" + config.ttl().toMillis(), "driftMs=" + config.drift().toMillis(),
                "oraclePort=" + oracle.port(), "history=" + dir.resolve(name + ".jsonl"), "stopFile=" + stopFile,
                "seed=" + (config.seed() * 31 + incarnations), "worker=" + name, "maxCycles=" + config.maxCyclesPerWorker(),
                "runMs=" + remainingMs, "pauseBeforeWrite=" + config.pauseBeforeWrite(), "halveTtl=" + config.halveTtl()));
        slot.process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
        slot.name = name;
    }

    /** Stops injecting, lets every worker release and exit (bounded), kills stragglers. */
    private void quiesce(Path stopFile) throws Exception {
        if (proxy != null) {
            proxy.heal();
        }
        for (Slot slot : slots) {
            Signals.send("CONT", slot.process.pid());
        }
        Files.writeString(stopFile, "stop");
        long deadline = System.nanoTime() + config.ttl().multipliedBy(4).plusSeconds(20).toNanos();
        for (Slot slot : slots) {
            long left = deadline - System.nanoTime();
            if (!slot.process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                slot.process.destroyForcibly();
                faults.add(new Fault(Fault.Kind.KILL_WORKER, slot.name, "did not exit after the stop file", System.nanoTime(), System.nanoTime()));
                slot.process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * After quiesce no one holds the lock: a fresh client directly on the backend gets it within
     * ttl + 3 s. Its own lease is long (10 s) so that a slow first request on a loaded machine
     * cannot make it give back what it got. Returns null if free, else what it saw.
     */
    private String orphanCheck(String lock) {
        String direct = backend.uri(backend.port().orElse(0));
        long deadline = System.nanoTime() + config.ttl().plusSeconds(3).toNanos();
        String last = "never answered";
        try (Driver<String> driver = Drivers.open(direct)) {
            Mutex<String> mutex = Mutex.builder(lock, Duration.ofSeconds(10), driver).renewTimeout(Duration.ofSeconds(3)).build();
            for (int attempt = 0; attempt < 1000 && System.nanoTime() - deadline < 0; attempt++) {
                try {
                    Optional<Held> held = mutex.tryLock();
                    if (held.isPresent()) {
                        held.get().close();
                        return null;
                    }
                    last = "held by someone else";
                } catch (RuntimeException e) {
                    last = e.toString();
                }
                Thread.sleep(100);
            }
        } catch (Exception e) {
            last = e.toString();
        }
        return last;
    }

    private Map<String, List<Map<String, String>>> readWorkerHistories() throws IOException {
        Map<String, List<Map<String, String>>> histories = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".jsonl") && f.getFileName().toString().startsWith("w")).toList()) {
                String name = file.getFileName().toString().replace(".jsonl", "");
                histories.put(name, History.read(file));
            }
        }
        return histories;
    }

    private void writeFaultLog() {
        try (History log = new History(dir.resolve("faults.jsonl"))) {
            for (Fault fault : faults) {
                log.record("kind", fault.kind(), "target", fault.target(), "detail", fault.detail(), "start", fault.start(), "end", fault.end());
            }
        }
    }

    private void writeOracleLog(List<Oracle.Write> writes) {
        try (History log = new History(dir.resolve("oracle.jsonl"))) {
            for (Oracle.Write w : writes) {
                log.record("fenced", w.fenced(), "w", w.worker(), "token", w.token(), "t", w.at(), "accepted", w.accepted(),
                        "highestBefore", w.highestBefore());
            }
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classPath() {
        return ServerProcess.classPath();
    }
}
