package io.robit.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the {@link Checker} again over a finished run's directory (worker histories and their
 * safepoint logs, {@code faults.jsonl}, and {@code oracle.jsonl} when the run saved it), e.g. after a checker
 * changed: {@code java -cp <test classpath> io.robit.faults.Recheck DIR BACKEND SEED WORKERS TTL_MS [CRASH_LOSES_WRITES [THREADS NAMES]]}.
 * Times in the printed report count from the first worker's start. The orphan check cannot be
 * repeated; it is taken as passed (see the run's own report.txt).
 */
public final class Recheck {
    private Recheck() {
    }

    /** See the class comment. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int threads = args.length > 7 ? Integer.parseInt(args[6]) : 0;
        int names = args.length > 7 ? Integer.parseInt(args[7]) : 0;
        FaultRun.Config config = new FaultRun.Config(Long.parseLong(args[2]), Integer.parseInt(args[3]), threads, names, Duration.ofMillis(Long.parseLong(args[4])),
                Duration.ZERO, Duration.ZERO, 0, 1, Broken.NONE, args.length > 5 && Boolean.parseBoolean(args[5]), false);
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        Map<String, List<Map<String, String>>> histories = RunHistories.read(dir);
        for (List<Map<String, String>> events : histories.values()) {
            for (Map<String, String> e : events) {
                long t = Long.parseLong(e.getOrDefault("t", "0"));
                if ("start".equals(e.get("e"))) {
                    first = Math.min(first, t);
                }
                if (!"safepoint".equals(e.get("e"))) {
                    last = Math.max(last, t);
                }
            }
        }
        List<Fault> faults = new ArrayList<>();
        for (Map<String, String> f : History.read(dir.resolve("faults.jsonl"))) {
            faults.add(new Fault(Fault.Kind.valueOf(f.get("kind")), f.get("target"), f.get("detail"), Long.parseLong(f.get("start")),
                    Long.parseLong(f.get("end"))));
        }
        List<Oracle.Write> writes = new ArrayList<>();
        for (Map<String, String> w : History.read(dir.resolve("oracle.jsonl"))) {
            writes.add(new Oracle.Write(Boolean.parseBoolean(w.get("fenced")), w.get("w"), w.getOrDefault("name", "lock"), Long.parseLong(w.get("token")),
                    Long.parseLong(w.get("t")),
                    Boolean.parseBoolean(w.get("accepted")), Long.parseLong(w.get("highestBefore"))));
        }
        Report report = new Checker(config, histories, faults, writes, null, first, last, last).check(args[1]);
        System.out.println(report.summary());
        System.out.println(FaultSuite.row(report));
    }
}
