package io.robit.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code robit demo}: three {@code robit run} worker processes take turns on one lock over an
 * SQLite file in a temporary directory, each running a job that writes to a fenced resource with
 * its token. The demo freezes one holder with SIGSTOP past its lease, lets another take over,
 * resumes the frozen one, and shows that it is told of the loss, stopped, and that its late write
 * is refused. Prints a live timeline and a summary; exits 0 only if no two holders' accepted writes
 * overlapped.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Shows lock loss and fencing with real processes, on this machine alone: three 'robit run' workers take turns "
                + "on a lock in an SQLite file in a temporary directory, each writing to a resource that refuses stale fencing "
                + "tokens. One holder is frozen (SIGSTOP) past its lease: another takes over, the frozen one is resumed, told "
                + "it lost the lock and stopped, and its late write is refused.",
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the resource never accepted overlapping writes from two holders",
            "1:it did, or the demo could not run to its end", ExitCode.LINE_USAGE},
        footer = {"", "Example:", "  ./robit demo"})
final class DemoCommand implements Callable<Integer> {
    private static final String LOCK = "demo";
    private static final Pattern ACQUIRED = Pattern.compile("^robit: acquired lock '[^']*' \\(token (\\d+)\\)");
    private static final Pattern ACCEPTED = Pattern.compile("^write \\d+/\\d+ accepted \\(token (\\d+)\\)");
    private static final Pattern REJECTED = Pattern.compile("REJECTED by the fence: token (\\d+)");
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @Option(names = "--workers", defaultValue = "3", description = "how many worker processes (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--rounds", defaultValue = "2", description = "how many times each worker takes the lock (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--ttl", defaultValue = "2s", converter = Durations.Positive.class,
            description = "the lease length the workers use (default: ${DEFAULT-VALUE})")
    Duration ttl;

    @Option(names = "--keep", description = "keep the temporary directory (lock file and resource log) and print its path")
    boolean keep;

    private final PrintStream out = System.out;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private long startNanos;

    /** Something a worker printed or did, as the coordinator sees it. */
    record Event(Kind kind, int worker, long value) {
    }

    enum Kind { ACQUIRED, ACCEPTED, REJECTED, LOST, EXITED }

    @Override
    public Integer call() throws Exception {
        if (workers < 2 || workers > 9 || rounds < 1 || rounds > 9) {
            throw new IllegalArgumentException("--workers must be 2 to 9 and --rounds 1 to 9, got " + workers + " and " + rounds);
        }
        Path dir = Files.createTempDirectory("robit-demo-");
        String backend = "sqlite:" + dir.resolve("locks.db");
        FencedFile resource = new FencedFile(dir.resolve("resource.log"));
        startNanos = System.nanoTime();
        out.println("robit demo: " + workers + " workers take turns on lock '" + LOCK + "' (ttl " + Durations.format(ttl) + ") in "
                + dir.resolve("locks.db"));
        out.println("  each worker, " + rounds + " times: robit run --name " + LOCK + " --ttl " + Durations.format(ttl)
                + " -- demo-job   (3 writes to a resource that refuses stale fencing tokens)");
        out.println("  then one holder is frozen with SIGSTOP past its lease, and resumed after another took over.");
        out.println();

        List<Worker> pool = new ArrayList<>();
        for (int i = 1; i <= workers; i++) {
            Worker worker = new Worker(i, workerCommand(backend, dir.resolve("resource.log"), i));
            pool.add(worker);
            worker.thread.start();
        }
        Freeze freeze = new Freeze(pool);
        List<Event> seen = new ArrayList<>();
        boolean finished = false;
        try {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (System.nanoTime() < deadline) {
                Event event = events.poll(100, TimeUnit.MILLISECONDS);
                if (event != null) {
                    seen.add(event);
                    freeze.on(event);
                } else {
                    freeze.onTick();
                    if (pool.stream().noneMatch(w -> w.thread.isAlive()) && events.isEmpty()) {
                        finished = true;
                        break;
                    }
                }
            }
        } finally {
            freeze.resumeAll();
            if (!finished) {
                say("demo", "did not finish within " + Durations.format(DEADLINE) + "; stopping the workers");
                pool.forEach(Worker::kill);
            }
        }
        int status = summary(seen, resource.entries(), freeze, finished);
        if (keep) {
            out.println("kept " + dir);
        } else {
            deleteTree(dir);
        }
        return status;
    }

    private int summary(List<Event> seen, List<FencedFile.Entry> entries, Freeze freeze, boolean finished) {
        List<Event> acquisitions = seen.stream().filter(e -> e.kind() == Kind.ACQUIRED).toList();
        int handoffs = 0;
        for (int i = 1; i < acquisitions.size(); i++) {
            if (acquisitions.get(i).worker() != acquisitions.get(i - 1).worker()) {
                handoffs++;
            }
        }
        long losses = seen.stream().filter(e -> e.kind() == Kind.EXITED && e.value() == ExitCode.LOST).count();
        List<FencedFile.Entry> rejected = entries.stream().filter(e -> !e.accepted()).toList();
        long accepted = entries.size() - rejected.size();
        Optional<FencedFile.Entry> overlap = FencedFile.firstOverlap(entries);

        out.println();
        out.println(String.format(Locale.ROOT, "summary (%.1fs)", (System.nanoTime() - startNanos) / 1e9));
        out.println("  acquisitions          " + acquisitions.size() + " (tokens "
                + acquisitions.stream().map(e -> Long.toString(e.value())).collect(Collectors.joining(", ")) + ")");
        out.println("  handoffs              " + handoffs + " (the lock passed from one worker to another)");
        out.println("  losses                " + losses + (freeze.victim > 0 ? " (worker-" + freeze.victim + ", frozen while holding token "
                + freeze.victimToken + ")" : ""));
        out.println("  writes accepted       " + accepted);
        out.println("  stale writes refused  " + rejected.size() + rejected.stream()
                .map(e -> " (" + e.writer() + " with token " + e.token() + ", after a newer holder had written)")
                .distinct().collect(Collectors.joining("")));
        if (overlap.isPresent()) {
            out.println("FAILED: the resource accepted " + overlap.get().writer() + "'s write with token " + overlap.get().token()
                    + " after a write with a higher token: two holders' writes overlapped");
            return 1;
        }
        out.println("  overlapping writes    none: every holder's accepted writes came after the previous holder's");
        if (!finished) {
            out.println("the demo did not run to its end; see above");
            return 1;
        }
        if (losses == 0 || rejected.isEmpty()) {
            out.println("note: the frozen holder did not lose the lock this time (the machine may be very slow); the fence held anyway");
        }
        out.println("OK");
        return ExitCode.OK;
    }

    private List<String> workerCommand(String backend, Path resource, int worker) {
        List<String> command = new ArrayList<>(jvm());
        command.addAll(List.of("run", "--name", LOCK, "--backend", backend, "--ttl", ttl.toMillis() + "ms", "--wait", "60s",
                "--grace", "2s", "--quiet", "--verbose", "--"));
        command.addAll(jvm());
        command.addAll(List.of("demo-job", "--resource", resource.toString(), "--worker", "worker-" + worker, "--writes", "3",
                "--interval", "400ms"));
        return command;
    }

    /** This JVM's java and classpath, with options that make small JVMs start fast. */
    private static List<String> jvm() {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(java.io.File.pathSeparator));
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xmx128m",
                "--enable-native-access=ALL-UNNAMED", // SQLite's native library, quietly on JDK 24+
                // robit run says itself that it lost the lock; the core's log line would say it twice.
                "-Dorg.slf4j.simpleLogger.log.robit=off", "-cp", classpath, Robit.class.getName());
    }

    private void say(String who, String what) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        out.println(String.format(Locale.ROOT, "%6.1fs  %-9s %s", seconds, who, what));
        out.flush();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }

    /** One worker: runs {@code robit run} {@link #rounds} times, relaying what it prints. */
    private final class Worker {
        final int number;
        final List<String> command;
        final Thread thread;
        volatile Process process;
        volatile boolean killed;

        Worker(int number, List<String> command) {
            this.number = number;
            this.command = command;
            this.thread = new Thread(this::loop, "demo-worker-" + number);
            this.thread.setDaemon(true);
        }

        String label() {
            return "worker-" + number;
        }

        private void loop() {
            for (int round = 1; round <= rounds && !killed; round++) {
                try {
                    Process started = new ProcessBuilder(command).redirectErrorStream(true).start();
                    process = started;
                    try (BufferedReader lines = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = lines.readLine()) != null) {
                            relay(line);
                        }
                    }
                    int code = started.waitFor();
                    say(label(), "robit run exited with " + code + meaning(code));
                    events.add(new Event(Kind.EXITED, number, code));
                } catch (IOException e) {
                    say(label(), "could not start robit run: " + e.getMessage());
                    return;
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void relay(String line) {
            Matcher acquired = ACQUIRED.matcher(line);
            Matcher accepted = ACCEPTED.matcher(line);
            Matcher rejected = REJECTED.matcher(line);
            String shown = line.startsWith("robit: ") ? line.substring("robit: ".length()) : line;
            int running = shown.indexOf("; running ");
            // The job is a JVM: call it by its role rather than "java".
            say(label(), (running > 0 ? shown.substring(0, running) : shown)
                    .replace("java exited with", "its job exited with").replace("stopping java (pid", "stopping its job (pid"));
            if (acquired.find()) {
                events.add(new Event(Kind.ACQUIRED, number, Long.parseLong(acquired.group(1))));
            } else if (accepted.find()) {
                events.add(new Event(Kind.ACCEPTED, number, Long.parseLong(accepted.group(1))));
            } else if (rejected.find()) {
                events.add(new Event(Kind.REJECTED, number, Long.parseLong(rejected.group(1))));
            } else if (line.startsWith("robit: lost lock") || line.contains("was lost before")) {
                events.add(new Event(Kind.LOST, number, 0));
            }
        }

        void kill() {
            killed = true;
            Process current = process;
            if (current != null) {
                current.descendants().forEach(ProcessHandle::destroyForcibly);
                current.destroyForcibly();
            }
        }

        private String meaning(int code) {
            return switch (code) {
                case ExitCode.OK -> " (its job finished while holding the lock)";
                case ExitCode.LOST -> " (lock lost: its job was stopped)";
                case ExitCode.NOT_ACQUIRED -> " (lock not acquired in time)";
                case ExitCode.UNAVAILABLE -> " (backend unavailable)";
                default -> "";
            };
        }
    }

    /**
     * The freeze: when the second holder has made its first write, stop its {@code robit run} and
     * job with SIGSTOP; when another worker has taken over and written, resume the job (as a paused
     * process carries on where it stopped), then, once its stale write is refused, its robit.
     */
    private final class Freeze {
        private final List<Worker> pool;
        int victim;
        long victimToken;
        private long[] runPid = {};
        private long[] jobPids = {};
        private Stage stage = Stage.WATCHING;
        private int acquisitions;
        private long stageDeadline;

        Freeze(List<Worker> pool) {
            this.pool = pool;
        }

        private enum Stage { WATCHING, FROZEN, JOB_RESUMED, DONE }

        void on(Event event) {
            switch (stage) {
                case WATCHING -> {
                    if (event.kind() == Kind.ACQUIRED && ++acquisitions >= 2 && victim == 0) {
                        victim = event.worker();
                        victimToken = event.value();
                    } else if (event.kind() == Kind.ACCEPTED && event.worker() == victim && event.value() == victimToken) {
                        freeze();
                    }
                }
                case FROZEN -> {
                    if (event.kind() == Kind.ACCEPTED && event.worker() != victim && event.value() > victimToken) {
                        say("demo", "worker-" + event.worker() + " holds the lock with token " + event.value()
                                + "; resuming worker-" + victim + "'s job first, as a paused process carries on where it stopped");
                        resumeJob();
                    }
                }
                case JOB_RESUMED -> {
                    if (event.kind() == Kind.REJECTED && event.worker() == victim) {
                        resumeRun("its late write was refused; resuming worker-" + victim + "'s robit run, which finds the lease gone");
                    }
                }
                default -> {
                }
            }
        }

        void onTick() {
            if (stage == Stage.FROZEN && System.nanoTime() > stageDeadline) {
                say("demo", "nobody took over within " + Durations.format(ttl.multipliedBy(5).plusSeconds(10)) + "; resuming worker-" + victim);
                resumeJob();
            } else if (stage == Stage.JOB_RESUMED && System.nanoTime() > stageDeadline) {
                resumeRun("resuming worker-" + victim + "'s robit run");
            }
        }

        private void freeze() {
            Process run = pool.get(victim - 1).process;
            if (run == null) {
                stage = Stage.DONE;
                return;
            }
            runPid = new long[] {run.pid()};
            jobPids = run.descendants().mapToLong(ProcessHandle::pid).toArray();
            if (jobPids.length == 0) {
                // A very slow machine: the job finished before we got to it. Freeze the next holder.
                say("demo", "worker-" + victim + "'s job already finished; the next holder will be frozen instead");
                victim = 0;
                return;
            }
            long[] all = concat(runPid, jobPids);
            // The job first, so its robit cannot notice anything in between.
            if (!Signals.send("STOP", concat(jobPids, runPid))) {
                say("demo", "could not send SIGSTOP (kill -STOP " + Arrays.toString(all) + "); skipping the freeze");
                stage = Stage.DONE;
                return;
            }
            say("demo", "freezing worker-" + victim + " (robit run pid " + run.pid() + ", job pid "
                    + Arrays.stream(jobPids).mapToObj(Long::toString).collect(Collectors.joining(", "))
                    + ") with SIGSTOP, like a long GC pause; its lease (" + Durations.format(ttl) + ") runs out");
            stage = Stage.FROZEN;
            stageDeadline = System.nanoTime() + ttl.multipliedBy(5).plusSeconds(10).toNanos();
        }

        private void resumeJob() {
            Signals.send("CONT", jobPids);
            stage = Stage.JOB_RESUMED;
            stageDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        }

        private void resumeRun(String why) {
            say("demo", why);
            Signals.send("CONT", runPid);
            stage = Stage.DONE;
        }

        /** Never leave a stopped process behind, whatever happened. */
        void resumeAll() {
            if (stage == Stage.FROZEN || stage == Stage.JOB_RESUMED) {
                Signals.send("CONT", concat(jobPids, runPid));
                stage = Stage.DONE;
            }
        }

        private static long[] concat(long[] a, long[] b) {
            long[] both = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            return both;
        }
    }
}
