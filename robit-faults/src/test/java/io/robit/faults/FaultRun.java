package io.robit.faults;

import io.robit.Drivers;
import io.robit.spi.Driver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One fault run against one backend: starts the oracle, the proxy and the worker JVMs, injects a
 * seeded schedule of faults until the run time is up, lets the system quiesce, checks that the lock
 * is free again, and hands the histories to the {@link Checker}. Every loop is bounded in count and
 * time; every fault targets only processes and ports this run started. Not thread-safe.
 */
final class FaultRun {
    private static final double[] PAUSE_FACTORS = {0.5, 1.0, 1.5, 3.0};
    /** Debian's libfaketime (package faketime, installed by .ci/services/faketime.sh). */
    static final String FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    private final Backend backend;
    private final Config config;
    private final Path dir;
    private final Random random;
    private final List<Fault> faults = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Slot> slots = new ArrayList<>();
    private final java.util.Set<String> busy = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger incarnations = new java.util.concurrent.atomic.AtomicInteger();
    private Oracle oracle;
    private FaultProxy proxy;

    /**
     * What to run.
     *
     * @param seed drives the fault schedule and the workers' choices
     * @param workers worker processes at a time
     * @param threads application threads per worker process, all on its one driver
     * @param names lock names the threads pick from
     * @param ttl the lease length
     * @param run how long faults are injected
     * @param faultGap mean gap between the starts of faults (faults on different targets overlap)
     * @param pauseBeforeWrite the chance per hold that a worker is stopped between its check and its write
     * @param longHoldEvery one hold in this many is long enough to be renewed; the rest are short
     * @param broken the negative control's broken driver, or {@link Broken#NONE}
     * @param crashLosesWrites the backend is configured to lose recent writes on a crash (Redis everysec, RDB)
     * @param wallClockJumps step the wall clock of worker processes (libfaketime)
     */
    record Config(long seed, int workers, int threads, int names, Duration ttl, Duration run, Duration faultGap, double pauseBeforeWrite,
                  int longHoldEvery, Broken broken, boolean crashLosesWrites, boolean wallClockJumps) {
        /** The drift margin the workers use: Robit's default for the ttl (1% + 2 ms, at most 10%). */
        Duration drift() {
            Duration drift = ttl.dividedBy(100).plusMillis(2);
            return drift.compareTo(ttl.dividedBy(10)) > 0 ? ttl.dividedBy(10) : drift;
        }

        Config withShape(int workers, int threads, int names) {
            return new Config(seed, workers, threads, names, ttl, run, faultGap, pauseBeforeWrite, longHoldEvery, broken, crashLosesWrites, wallClockJumps);
        }

        Config withRun(Duration run, Duration faultGap) {
            return new Config(seed, workers, threads, names, ttl, run, faultGap, pauseBeforeWrite, longHoldEvery, broken, crashLosesWrites, wallClockJumps);
        }

        Config withBroken(Broken broken) {
            return new Config(seed, workers, threads, names, ttl, run, faultGap, pauseBeforeWrite, longHoldEvery, broken, crashLosesWrites, wallClockJumps);
        }

        Config withCrashLosesWrites(boolean crashLosesWrites) {
            return new Config(seed, workers, threads, names, ttl, run, faultGap, pauseBeforeWrite, longHoldEvery, broken, crashLosesWrites, wallClockJumps);
        }

        Config withLongHoldEvery(int longHoldEvery) {
            return new Config(seed, workers, threads, names, ttl, run, faultGap, pauseBeforeWrite, longHoldEvery, broken, crashLosesWrites, wallClockJumps);
        }

        Config withPauseBeforeWrite(double pauseBeforeWrite) {
            return new Config(seed, workers, threads, names, ttl, run, faultGap, pauseBeforeWrite, longHoldEvery, broken, crashLosesWrites, wallClockJumps);
        }
    }

    /** A worker slot: the current process and its name (a killed worker's slot gets a new one). */
    private static final class Slot {
        volatile Process process;
        volatile String name;
        Path clockFile;
    }

    FaultRun(Backend backend, Config config, Path dir) {
        this.backend = backend;
        this.config = config;
        this.dir = dir;
        this.random = new Random(config.seed());
    }

    /** Runs the whole thing and returns the checked result. */
    Report run() throws Exception {
        Files.createDirectories(dir);
        String lock = "faults-" + config.seed() + "-" + Long.toHexString(System.nanoTime());
        Path stopFile = dir.resolve("stop");
        Files.deleteIfExists(stopFile);
        backend.server().ifPresent(server -> server.lockNames(names(lock)));
        long runStart = System.nanoTime();
        ExecutorService injectors = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault");
            t.setDaemon(true);
            return t;
        });
        try (Oracle o = new Oracle(faults::add); FaultProxy p = backend.port().isPresent() ? new FaultProxy(backend.port().getAsInt()) : null) {
            oracle = o;
            proxy = p;
            String workerUri = backend.uri(p != null ? p.port() : 0);
            for (int i = 0; i < config.workers(); i++) {
                Slot slot = new Slot();
                slot.clockFile = dir.resolve("clock-" + i);
                Files.writeString(slot.clockFile, "+0");
                slots.add(slot);
                startWorker(slot, workerUri, lock, stopFile);
            }
            awaitFirstWrite();
            long runEnd = System.nanoTime() + config.run().toNanos();
            List<Fault.Kind> menu = new ArrayList<>(kinds());
            java.util.Collections.shuffle(menu, random);
            int maxFaults = (int) (config.run().toMillis() / Math.max(1, config.faultGap().toMillis() / 4)) + 1;
            // The long tier may stop early once it has both its acquisitions and its faults (-Drobit.faults.targetAcquisitions, -Drobit.faults.targetFaults).
            long targetHolds = Long.getLong("robit.faults.targetAcquisitions", Long.MAX_VALUE);
            long targetFaults = Long.getLong("robit.faults.targetFaults", Long.MAX_VALUE);
            long faultsStart = System.nanoTime();
            long nextProgress = faultsStart;
            for (int n = 0; n < maxFaults && System.nanoTime() - runEnd < 0; n++) {
                if (oracle.holdsSeen() >= targetHolds && faults.size() >= targetFaults) {
                    break;
                }
                if (System.nanoTime() - nextProgress >= 0) {
                    // A line every 30 s, so that a long run's rates can be watched (and its knobs corrected) while it runs.
                    System.out.printf("%s %s: %d s of faults, %d holds written, %d faults%n", java.time.Instant.now(), backend.name(),
                            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - faultsStart), oracle.holdsSeen(), faults.size());
                    nextProgress += TimeUnit.SECONDS.toNanos(30);
                }
                long gap = (long) (config.faultGap().toMillis() * (0.5 + random.nextDouble()));
                sleepUntil(Math.min(runEnd, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(gap)));
                if (System.nanoTime() - runEnd >= 0) {
                    break;
                }
                // Every kind once, in a seeded order, so that even a short run covers them all; then at random, weighted.
                for (int attempt = 0; attempt < 6; attempt++) {
                    Fault.Kind kind = n < menu.size() && attempt == 0 ? menu.get(n) : weighted(menu);
                    Runnable fault = plan(kind, workerUri, lock, stopFile);
                    if (fault != null) {
                        injectors.execute(fault);
                        break;
                    }
                }
            }
            injectors.shutdown();
            injectors.awaitTermination(config.ttl().toMillis() * 4 + 30_000, TimeUnit.MILLISECONDS);
            long quiesceStart = System.nanoTime();
            quiesce(stopFile);
            String orphan = orphanCheck(lock);
            long end = System.nanoTime();
            writeFaultLog();
            writeOracleLog(o.writes());
            return new Checker(config, RunHistories.read(dir), faults, o.writes(), orphan, runStart, quiesceStart, end).check(backend.name());
        } finally {
            injectors.shutdownNow();
            for (Slot slot : slots) {
                if (slot.process != null && slot.process.isAlive()) {
                    Signals.send("CONT", slot.process.pid());
                    slot.process.destroyForcibly();
                }
            }
        }
    }

    /**
     * A random kind, weighted so that a long run stays mostly running: a worker kill restarts a JVM
     * (seconds of CPU on a busy host) and a blackhole stops every worker, while a clock jump or a
     * reset costs little.
     */
    private Fault.Kind weighted(List<Fault.Kind> menu) {
        int total = 0;
        for (Fault.Kind k : menu) {
            total += weight(k);
        }
        int pick = random.nextInt(total);
        for (Fault.Kind k : menu) {
            pick -= weight(k);
            if (pick < 0) {
                return k;
            }
        }
        return menu.get(menu.size() - 1);
    }

    private static int weight(Fault.Kind kind) {
        return switch (kind) {
            case KILL_WORKER -> 1;
            case STALL_BOTH, STALL_REPLIES, LATENCY, PAUSE_SERVER, KILL_SERVER, CUT_MEMBER -> 2;
            case PAUSE_WORKER, GC_PAUSE, RESET -> 3;
            case CLOCK_JUMP -> 4;
        };
    }

    private java.util.Set<Fault.Kind> kinds() {
        java.util.Set<Fault.Kind> kinds = EnumSet.copyOf(backend.faults());
        if (!config.wallClockJumps()) {
            kinds.remove(Fault.Kind.CLOCK_JUMP);
        }
        return kinds;
    }

    /**
     * Picks the target and the parameters of one fault (on this thread, so the schedule follows the
     * seed) and returns the action, or null when its target is busy with another fault.
     */
    private Runnable plan(Fault.Kind kind, String workerUri, String lock, Path stopFile) {
        long ttl = config.ttl().toMillis();
        double factor = PAUSE_FACTORS[random.nextInt(PAUSE_FACTORS.length)];
        boolean flag = random.nextBoolean();
        int latency = 20 + random.nextInt((int) Math.max(1, ttl / 2));
        switch (kind) {
            case STALL_BOTH, STALL_REPLIES, LATENCY, RESET -> {
                return claim("proxy", () -> network(kind, factor, flag, latency));
            }
            case PAUSE_SERVER, KILL_SERVER, CUT_MEMBER -> {
                return claim("server", () -> server(kind, factor, flag));
            }
            default -> {
                Slot slot = target();
                return slot == null ? null : claim(slot.name, () -> worker(kind, slot, factor, flag, workerUri, lock, stopFile));
            }
        }
    }

    private interface Action {
        void run() throws Exception;
    }

    private Runnable claim(String target, Action action) {
        if (!busy.add(target)) {
            return null;
        }
        return () -> {
            try {
                long start = System.nanoTime();
                action.run();
                if (target.equals("proxy") || target.equals("server")) {
                    // Every worker depends on these: rest twice as long as the fault lasted, so that
                    // at most a third of a run has the network or the server faulted.
                    TimeUnit.NANOSECONDS.sleep(2 * (System.nanoTime() - start));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                faults.add(new Fault(Fault.Kind.RESET, target, "did not run: " + e, System.nanoTime(), System.nanoTime()));
            } finally {
                busy.remove(target);
            }
        };
    }

    private void network(Fault.Kind kind, double factor, boolean thenReset, int latencyMillis) throws InterruptedException {
        long ttl = config.ttl().toMillis();
        long start = System.nanoTime();
        switch (kind) {
            case STALL_BOTH, STALL_REPLIES -> {
                proxy.stall(kind == Fault.Kind.STALL_BOTH);
                Thread.sleep((long) (factor * ttl));
                if (thenReset) {
                    proxy.resetAll();
                }
                proxy.heal();
                faults.add(new Fault(kind, "proxy", factor + "xTTL" + (thenReset ? " then reset" : " then heal"), start, System.nanoTime()));
            }
            case LATENCY -> {
                proxy.latency(latencyMillis);
                Thread.sleep((long) (factor * ttl));
                proxy.heal();
                faults.add(new Fault(kind, "proxy", latencyMillis + "ms for " + factor + "xTTL", start, System.nanoTime()));
            }
            default -> {
                proxy.resetAll();
                faults.add(new Fault(kind, "proxy", "", start, System.nanoTime()));
            }
        }
    }

    private void server(Fault.Kind kind, double factor, boolean leader) throws Exception {
        long ttl = config.ttl().toMillis();
        long start = System.nanoTime();
        Backend.Server server = backend.server().orElseThrow();
        String who = server.describe();
        if (kind == Fault.Kind.PAUSE_SERVER) {
            // One pid for both signals: in a cluster, another member may lead by the time it resumes.
            long pid = server.pid();
            Signals.send("STOP", pid);
            Thread.sleep((long) (factor * ttl));
            Signals.send("CONT", pid);
            faults.add(new Fault(kind, "server", who + factor + "xTTL", start, System.nanoTime()));
        } else if (kind == Fault.Kind.CUT_MEMBER) {
            String cut = server.cut(leader);
            Thread.sleep((long) (factor * ttl));
            server.heal();
            faults.add(new Fault(kind, "server", cut + " for " + factor + "xTTL", start, System.nanoTime()));
        } else {
            server.kill();
            Thread.sleep((long) (factor / 2 * ttl));
            server.start();
            faults.add(new Fault(kind, "server", who + "down " + factor / 2 + "xTTL", start, System.nanoTime()));
        }
    }

    private void worker(Fault.Kind kind, Slot slot, double factor, boolean forward, String workerUri, String lock, Path stopFile) throws Exception {
        long ttl = config.ttl().toMillis();
        long start = System.nanoTime();
        String name = slot.name;
        switch (kind) {
            case PAUSE_WORKER -> {
                long pid = slot.process.pid();
                Signals.send("STOP", pid);
                long stopped = System.nanoTime();
                Thread.sleep((long) (factor * ttl));
                Signals.send("CONT", pid);
                // The pause spans from just before SIGSTOP was sent to just after SIGCONT was.
                faults.add(new Fault(kind, name, factor + "xTTL", start, Math.max(stopped, System.nanoTime())));
            }
            case KILL_WORKER -> {
                slot.process.destroyForcibly();
                long killed = System.nanoTime();
                slot.process.waitFor(10, TimeUnit.SECONDS);
                faults.add(new Fault(kind, name, "", start, killed));
                startWorker(slot, workerUri, lock, stopFile);
            }
            case GC_PAUSE -> {
                long millis = (long) (factor * ttl);
                Path request = dir.resolve(name + ".gc.tmp");
                Files.writeString(request, Long.toString(millis));
                Files.move(request, dir.resolve(name + ".gc"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                Thread.sleep(millis + 50);
                faults.add(new Fault(kind, name, "allocating hard for " + millis + " ms", start, System.nanoTime()));
            }
            case CLOCK_JUMP -> {
                // Steps relative to the real clock: forward or back by 1 to 120 s; the monotonic clock does not move.
                long seconds = (forward ? 1 : -1) * (1 + (long) (factor * 40));
                Path tmp = dir.resolve(name + ".clock.tmp");
                Files.writeString(tmp, (seconds >= 0 ? "+" : "") + seconds + "s");
                Files.move(tmp, slot.clockFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                faults.add(new Fault(kind, name, "wall clock " + (seconds >= 0 ? "+" : "") + seconds + " s", start, System.nanoTime()));
            }
            default -> throw new IllegalStateException("unknown fault " + kind);
        }
    }

    /**
     * JVM start-up and first connections take seconds on a busy machine, and over a minute at load 35
     * (where the old 60 s wait let the faults, and then the whole run, pass before the workers had
     * opened their drivers: four negative controls with 0 holds): faults begin once every worker has
     * opened its driver and one has written, or after 5 minutes.
     */
    private void awaitFirstWrite() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while ((oracle.lastWriter() == null || !slots.stream().allMatch(this::running)) && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
    }

    /**
     * The process that wrote last most likely holds something; a fault there is the interesting one.
     * Only a worker that has opened its driver and started its threads is a target (a JVM still
     * starting has nothing to lose, and a fault sent to it would count without testing anything);
     * null when none is.
     */
    private Slot target() {
        String last = oracle.lastWriter();
        boolean preferLast = random.nextInt(4) != 0;
        int pick = random.nextInt(slots.size());
        List<Slot> running = slots.stream().filter(this::running).toList();
        if (running.isEmpty()) {
            return null;
        }
        if (last != null && preferLast) {
            for (Slot slot : running) {
                if (last.equals(slot.name)) {
                    return slot;
                }
            }
        }
        return running.get(pick % running.size());
    }

    private boolean running(Slot slot) {
        return slot.process != null && slot.process.isAlive() && Files.exists(dir.resolve(slot.name + ".ready"));
    }

    private void startWorker(Slot slot, String uri, String lock, Path stopFile) throws IOException {
        int index = slots.indexOf(slot);
        String name = "w" + index + "." + incarnations.getAndIncrement();
        // Only a bound for a worker whose harness died: the harness ends every run with the stop file.
        long remainingMs = config.run().toMillis() + 600_000; // beyond the 5 min wait for the workers, and quiesce
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", safepointLog(dir, name),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath(), Worker.class.getName(),
                "uri=" + uri, "lock=" + lock, "names=" + config.names(), "threads=" + config.threads(), "ttlMs=" + config.ttl().toMillis(),
                "driftMs=" + config.drift().toMillis(), "oraclePort=" + oracle.port(), "history=" + dir.resolve(name + ".jsonl"),
                "stopFile=" + stopFile, "seed=" + (config.seed() * 31 + incarnations.get()), "worker=" + name, "runMs=" + remainingMs,
                "pauseBeforeWrite=" + config.pauseBeforeWrite(), "longEvery=" + config.longHoldEvery(), "broken=" + config.broken()));
        if (config.broken() == Broken.RELEASE_OTHERS) {
            command.add("redis=127.0.0.1:" + backend.port().orElseThrow());
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()));
        if (config.wallClockJumps()) {
            // libfaketime steps only the wall clock: CLOCK_MONOTONIC (System.nanoTime, the histories) stays real.
            builder.environment().put("LD_PRELOAD", FAKETIME_LIBRARY);
            builder.environment().put("FAKETIME_TIMESTAMP_FILE", slot.clockFile.toString());
            builder.environment().put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
            // libfaketime 0.9.10's pthread_cond_timedwait fix hangs the JVM when the monotonic clock is not faked.
            builder.environment().put("FAKETIME_FORCE_MONOTONIC_FIX", "0");
            builder.environment().put("FAKETIME_NO_CACHE", "1");
        }
        slot.process = builder.start();
        slot.name = name;
    }

    /**
     * The worker JVM's own pauses (GC, other safepoints), for the checker ({@link SafepointLog}): one line
     * per safepoint, stamped with {@code tn} (os::javaTimeNanos, CLOCK_MONOTONIC: the clock of
     * System.nanoTime and the histories) when it ends. At most 3 files of 2 MB (about 30,000 safepoints,
     * the newest kept): a GC-thrashing worker must not fill the disk.
     */
    static String safepointLog(Path dir, String worker) {
        return "-Xlog:safepoint:file=\"" + dir.resolve(worker + SafepointLog.SUFFIX) + "\":tn:filecount=2,filesize=2m";
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

    /** After quiesce no one holds any of the run's locks (see {@link OrphanCheck}); null if all are free, else what was seen. */
    private String orphanCheck(String lock) {
        List<String> names = names(lock);
        try (Driver<String> driver = Drivers.open(backend.uri(backend.port().orElse(0)))) {
            String orphan = new OrphanCheck(driver, config.ttl(), Duration.ofSeconds(3), Duration.ofSeconds(10)).check(lock + "-warm-up", names);
            if (orphan == null) {
                return null;
            }
            String inside = backend.inspect(orphan.substring(0, orphan.indexOf(':')));
            return orphan + (inside.isEmpty() ? "" : "; " + inside);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** The lock names the workers use (as {@link Worker} builds them). */
    private List<String> names(String lock) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < config.names(); i++) {
            names.add(lock + "-" + i);
        }
        return names;
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
                log.record("fenced", w.fenced(), "w", w.worker(), "name", w.name(), "token", w.token(), "t", w.at(), "accepted", w.accepted(),
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
