package io.robit.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a run's recorded history against Robit's two claims.
 *
 * <p><b>Holds.</b> A hold is one successful acquire of one worker: it starts when the acquire
 * returned, and the worker's <em>belief</em> that it holds the lock ends at the first of: it began
 * to unlock, Robit told it the hold was lost (the loss event), or it was killed. Its <em>local
 * deadline</em> is the send time of its last successful acquire or refresh plus the trusted ttl
 * minus the drift margin (what the core computes).
 *
 * <p><b>Violations</b> (each must be 0): accepted stale writes at the fenced oracle; token
 * regressions (a grant that began after another had returned, with a token not greater than it);
 * duplicate tokens; deadline overruns (a hold whose local deadline lies after the moment a later
 * grant returned: Robit promised the lock for longer than the backend kept it); late notices (two
 * workers believed at once for longer than the drift margin, and the earlier holder's process was
 * not stopped by the harness around that time); an orphaned lock after quiesce; a takeover after a
 * holder was killed slower than ttl + 1 s.
 *
 * <p><b>Measured, not violations:</b> overlapping beliefs explained by a SIGSTOP of the holder (the
 * stop-the-world pause no lease can survive: fencing is the defence) or by a measured stall of the
 * holder's process (its stall detector did not run for 50 ms or more around the moment the notice was
 * due: the host did not schedule it, which is the same hazard, involuntary), fenced writes refused, writes
 * the fenced oracle accepted from a deposed holder before the new one wrote, and writes the
 * unfenced shadow accepted out of token order (what fencing prevents).
 */
final class Checker {
    private static final java.util.Set<Fault.Kind> NETWORK_OR_SERVER = java.util.EnumSet.of(Fault.Kind.STALL_BOTH, Fault.Kind.STALL_REPLIES,
            Fault.Kind.LATENCY, Fault.Kind.RESET, Fault.Kind.PAUSE_SERVER, Fault.Kind.KILL_SERVER);

    private final FaultRun.Config config;
    private final Map<String, List<Map<String, String>>> histories;
    private final List<Fault> faults;
    private final List<Oracle.Write> writes;
    private final String orphaned;
    private final long runStart;
    private final long quiesceStart;
    private final long end;

    Checker(FaultRun.Config config, Map<String, List<Map<String, String>>> histories, List<Fault> faults, List<Oracle.Write> writes,
            String orphaned, long runStart, long quiesceStart, long end) {
        this.config = config;
        this.histories = histories;
        this.faults = faults;
        this.writes = writes;
        this.orphaned = orphaned;
        this.runStart = runStart;
        this.quiesceStart = quiesceStart;
        this.end = end;
    }

    /** One hold of one worker, rebuilt from its history. */
    static final class Hold {
        final String worker;
        final long token;
        final long sent;
        final long start;
        long deadline;
        boolean believed;
        long notice = Long.MAX_VALUE;
        long unlock = Long.MAX_VALUE;
        long killed = Long.MAX_VALUE;
        long exit = Long.MAX_VALUE;
        long end;
        String endKind;

        Hold(String worker, long token, long sent, long start, long deadline) {
            this.worker = worker;
            this.token = token;
            this.sent = sent;
            this.start = start;
            this.deadline = deadline;
        }
    }

    /** The checked result of one run. */
    record Report(String backend, FaultRun.Config config, int faults, Map<Fault.Kind, Integer> faultsByKind, int holds,
                  Map<String, Integer> lossesByReason, int fencedAccepted, int fencedRefused, int staleAccepted, int deposedAccepted,
                  int shadowOutOfOrder, int tokenRegressions, int duplicateTokens, int overlaps, double overlapMaxMs,
                  int excusedOverlaps, double excusedMaxMs, int stalledLate, double stalledLateMaxMs, List<String> stalledDetails,
                  int stalls, double stallMaxMs, int withinMargin, double withinMarginMaxMs, int lateNotices,
                  double lateMaxMs, int deadlineOverruns, double overrunMaxMs, boolean orphaned, List<Double> takeoverMs,
                  int takeoverMissing, int takeoversDisturbed, int unterminated, List<String> violations, double seconds) {

        double takeoverPercentile(double p) {
            if (takeoverMs.isEmpty()) {
                return Double.NaN;
            }
            List<Double> sorted = new ArrayList<>(takeoverMs);
            sorted.sort(Comparator.naturalOrder());
            int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
        }

        /** A human-readable summary, with every violation and how to find it. */
        String summary() {
            StringBuilder s = new StringBuilder();
            s.append(String.format("backend %s, seed %d, %d workers, ttl %d ms, drift margin %d ms, %.0f s%n", backend, config.seed(),
                    config.workers(), config.ttl().toMillis(), config.drift().toMillis(), seconds));
            s.append(String.format("faults %d %s%n", faults, faultsByKind));
            s.append(String.format("holds %d, losses %s, fenced writes accepted %d / refused %d%n", holds, lossesByReason, fencedAccepted, fencedRefused));
            s.append(String.format("VIOLATIONS: stale accepted %d, token regressions %d, duplicate tokens %d, deadline overruns %d (max %.1f ms), "
                    + "late notices %d (max %.1f ms), orphaned %s, takeover missing %d, takeover p99 %.0f ms%n", staleAccepted, tokenRegressions,
                    duplicateTokens, deadlineOverruns, overrunMaxMs, lateNotices, lateMaxMs, orphaned, takeoverMissing, takeoverPercentile(99)));
            s.append(String.format("overlapping beliefs %d (max %.1f ms): %d explained by a SIGSTOP of the holder (max %.1f ms), %d within the "
                    + "drift margin (max %.1f ms)%n", overlaps, overlapMaxMs, excusedOverlaps, excusedMaxMs, withinMargin, withinMarginMaxMs));
            s.append(String.format("late notices while the holder's process was not running (measured stalls >= 50 ms) %d (max %.1f ms); "
                    + "process stalls not caused by the harness %d (max %.1f ms)%n", stalledLate, stalledLateMaxMs, stalls, stallMaxMs));
            s.append(String.format("deposed writes accepted before the new holder wrote %d; unfenced shadow writes out of token order %d%n",
                    deposedAccepted, shadowOutOfOrder));
            s.append(String.format("takeover after holder kill: n=%d p50 %.0f ms p99 %.0f ms max %.0f ms (%d not measured: a network or "
                    + "server fault within ttl + 1 s of the kill); unterminated holds %d%n",
                    takeoverMs.size(), takeoverPercentile(50), takeoverPercentile(99), takeoverPercentile(100), takeoversDisturbed, unterminated));
            for (String v : violations) {
                s.append("  ! ").append(v).append('\n');
            }
            for (String d : stalledDetails) {
                s.append("  ~ ").append(d).append('\n');
            }
            return s.toString();
        }
    }

    Report check(String backend) {
        long ttl = config.ttl().toNanos();
        long drift = config.drift().toNanos();
        List<Hold> holds = new ArrayList<>();
        List<long[]> grants = new ArrayList<>(); // sent, answered, token
        Map<String, Integer> losses = new TreeMap<>();
        Map<String, Long> kills = new HashMap<>();
        Map<String, List<Fault>> pauses = new HashMap<>();
        for (Fault fault : faults) {
            if (fault.kind() == Fault.Kind.KILL_WORKER) {
                kills.put(fault.target(), fault.end());
            } else if (fault.kind() == Fault.Kind.PAUSE_WORKER) {
                pauses.computeIfAbsent(fault.target(), k -> new ArrayList<>()).add(fault);
            }
        }
        List<String> violations = new ArrayList<>();
        Map<String, List<long[]>> stalls = new HashMap<>();
        int stallCount = 0;
        long stallMax = 0;
        for (Map.Entry<String, List<Map<String, String>>> entry : histories.entrySet()) {
            String worker = entry.getKey();
            Map<Long, Hold> byToken = new HashMap<>();
            long exit = Long.MAX_VALUE;
            for (Map<String, String> e : entry.getValue()) {
                String kind = e.get("e");
                long t = Long.parseLong(e.getOrDefault("t", "0"));
                long token = Long.parseLong(e.getOrDefault("token", "0"));
                Hold hold = byToken.get(token);
                switch (kind) {
                    case "acq" -> {
                        long sent = Long.parseLong(e.get("sent"));
                        long trusted = Long.parseLong(e.get("trustedTtlNs"));
                        grants.add(new long[] {sent, t, token});
                        if (hold != null) {
                            violations.add("worker " + worker + " was granted token " + token + " twice");
                        }
                        hold = new Hold(worker, token, sent, t, sent + trusted - drift);
                        byToken.put(token, hold);
                        holds.add(hold);
                    }
                    case "ref" -> {
                        if (hold != null && "ok".equals(e.get("outcome"))) {
                            hold.deadline = Math.max(hold.deadline, Long.parseLong(e.get("sent")) + Long.parseLong(e.get("trustedTtlNs")) - drift);
                        }
                    }
                    case "held" -> {
                        if (hold != null) {
                            hold.believed = true;
                        }
                    }
                    case "lost" -> {
                        losses.merge(e.get("reason"), 1, Integer::sum);
                        if (hold != null) {
                            hold.notice = Math.min(hold.notice, t);
                        }
                    }
                    case "unlock" -> {
                        if (hold != null) {
                            hold.unlock = Math.min(hold.unlock, t);
                        }
                    }
                    case "exit" -> exit = t;
                    case "stall" -> {
                        long from = Long.parseLong(e.get("from"));
                        stalls.computeIfAbsent(worker, k -> new ArrayList<>()).add(new long[] {from, t});
                        if (!pausedAround(pauses.get(worker), from, t)) { // a SIGSTOP from the harness is not the host's doing
                            stallCount++;
                            stallMax = Math.max(stallMax, t - from);
                        }
                    }
                    default -> {
                        // start, write, rel, unlocked, unlockLost, acqErr: not needed for holds
                    }
                }
            }
            long killedAt = kills.getOrDefault(worker, Long.MAX_VALUE);
            for (Hold hold : byToken.values()) {
                hold.killed = killedAt >= hold.start ? killedAt : Long.MAX_VALUE;
                hold.exit = exit;
            }
        }
        int unterminated = 0;
        for (Hold hold : holds) {
            long e = Math.min(Math.min(hold.notice, hold.unlock), Math.min(hold.killed, hold.exit));
            hold.endKind = e == hold.notice ? "told lost" : e == hold.unlock ? "unlocked" : e == hold.killed ? "killed" : "exited";
            if (e == Long.MAX_VALUE) {
                unterminated++;
                e = quiesceStart;
                hold.endKind = "never ended";
            }
            hold.end = e;
        }
        List<Hold> believed = holds.stream().filter(h -> h.believed).sorted(Comparator.comparingLong(h -> h.start)).toList();

        // Overlapping beliefs, late notices, deadline overruns.
        int overlaps = 0;
        int stalled = 0;
        double stalledMax = 0;
        List<String> stalledDetails = new ArrayList<>();
        int excused = 0;
        int within = 0;
        int late = 0;
        int overruns = 0;
        int duplicates = 0;
        double overlapMax = 0;
        double excusedMax = 0;
        double withinMax = 0;
        double lateMax = 0;
        double overrunMax = 0;
        for (int i = 0; i < believed.size(); i++) {
            Hold a = believed.get(i);
            for (int j = i + 1; j < believed.size() && believed.get(j).start < a.end; j++) {
                Hold b = believed.get(j);
                if (a.worker.equals(b.worker)) {
                    continue;
                }
                if (a.token == b.token) {
                    duplicates++;
                    violations.add("duplicate token " + a.token + " held by " + a.worker + " and " + b.worker);
                    continue;
                }
                Hold earlier = a.token < b.token ? a : b;
                Hold later = earlier == a ? b : a;
                long overlap = Math.min(a.end, b.end) - Math.max(a.start, b.start);
                if (overlap <= 0) {
                    continue;
                }
                overlaps++;
                overlapMax = Math.max(overlapMax, ms(overlap));
                long overrun = earlier.deadline - later.start;
                if (overrun > 0) {
                    overruns++;
                    overrunMax = Math.max(overrunMax, ms(overrun));
                    violations.add("DEADLINE OVERRUN " + ms(overrun) + " ms: " + describe(earlier, later, ttl));
                }
                if (pausedAround(pauses.get(earlier.worker), Math.max(a.start, b.start) - ttl, earlier.end)) {
                    excused++;
                    excusedMax = Math.max(excusedMax, ms(overlap));
                } else if (overlap <= drift) {
                    within++;
                    withinMax = Math.max(withinMax, ms(overlap));
                } else if (stalledAround(stalls.get(earlier.worker), Math.min(earlier.deadline, later.start) - Worker.STALL_NANOS, earlier.end)) {
                    stalled++;
                    stalledMax = Math.max(stalledMax, ms(overlap));
                    stalledDetails.add("late notice " + ms(overlap) + " ms during a stall of the holder's process: " + describe(earlier, later, ttl)
                            + stallsNear(stalls.get(earlier.worker), earlier.start, earlier.end));
                } else {
                    late++;
                    lateMax = Math.max(lateMax, ms(overlap));
                    violations.add("LATE NOTICE " + ms(overlap) + " ms: " + describe(earlier, later, ttl));
                }
            }
        }

        // Token order across grants in real time: one that began after another returned must be greater.
        int regressions = 0;
        List<long[]> byAnswered = new ArrayList<>(grants);
        byAnswered.sort(Comparator.comparingLong(g -> g[1]));
        List<long[]> bySent = new ArrayList<>(grants);
        bySent.sort(Comparator.comparingLong(g -> g[0]));
        long maxToken = Long.MIN_VALUE;
        int p = 0;
        for (long[] g : bySent) {
            while (p < byAnswered.size() && byAnswered.get(p)[1] < g[0]) {
                maxToken = Math.max(maxToken, byAnswered.get(p)[2]);
                p++;
            }
            if (g[2] <= maxToken) {
                regressions++;
                if (regressions <= 10) {
                    violations.add("TOKEN REGRESSION: token " + g[2] + " granted (sent at " + rel(g[0]) + " ms) after token " + maxToken + " had been granted");
                }
            }
        }

        // The resource: fenced and shadow registers.
        int accepted = 0;
        int refused = 0;
        int stale = 0;
        int deposed = 0;
        int shadowOutOfOrder = 0;
        p = 0;
        long newestGranted = Long.MIN_VALUE;
        for (Oracle.Write w : writes) {
            while (p < byAnswered.size() && byAnswered.get(p)[1] < w.at()) {
                newestGranted = Math.max(newestGranted, byAnswered.get(p)[2]);
                p++;
            }
            if (w.fenced()) {
                if (w.accepted()) {
                    accepted++;
                    if (w.token() < w.highestBefore()) {
                        stale++;
                        violations.add("STALE WRITE ACCEPTED: token " + w.token() + " by " + w.worker() + " after " + w.highestBefore());
                    }
                    if (w.token() < newestGranted) {
                        deposed++;
                    }
                } else {
                    refused++;
                }
            } else if (w.token() < w.highestBefore()) {
                shadowOutOfOrder++;
            }
        }

        // Takeover after a holder was killed.
        List<Double> takeovers = new ArrayList<>();
        int missing = 0;
        int takeoversDisturbed = 0;
        for (Fault fault : faults) {
            if (fault.kind() != Fault.Kind.KILL_WORKER || !fault.detail().isEmpty()) {
                continue;
            }
            long k = fault.end();
            boolean victimHeld = holds.stream().anyMatch(h -> h.worker.equals(fault.target()) && h.start <= k && h.end >= k && h.endKind.equals("killed"));
            if (!victimHeld) {
                continue;
            }
            // A network or server fault soon after the kill delays the takeover for its own reasons.
            boolean disturbed = faults.stream().anyMatch(f -> NETWORK_OR_SERVER.contains(f.kind())
                    && f.end() >= k && f.start() <= k + ttl + 1_000_000_000L);
            if (disturbed) {
                takeoversDisturbed++;
                continue;
            }
            long next = believed.stream().filter(h -> !h.worker.equals(fault.target()) && h.start > k).mapToLong(h -> h.start).min().orElse(Long.MAX_VALUE);
            if (next == Long.MAX_VALUE || next > quiesceStart) {
                if (k < quiesceStart - ttl - 1_000_000_000L) {
                    missing++;
                    violations.add("NO TAKEOVER after holder " + fault.target() + " was killed at " + rel(k) + " ms");
                }
                continue;
            }
            takeovers.add(ms(next - k));
        }
        double limit = config.ttl().toMillis() + 1000;
        for (double t : takeovers) {
            if (t > limit) {
                violations.add("SLOW TAKEOVER " + t + " ms > ttl + 1 s");
            }
        }
        if (orphaned != null) {
            violations.add("ORPHANED LOCK: not free within ttl + 3 s after every worker stopped: " + orphaned);
        }
        if (unterminated > 0) {
            violations.add(unterminated + " holds have no end in the history (worker died without a kill recorded)");
        }
        Map<Fault.Kind, Integer> byKind = new EnumMap<>(Fault.Kind.class);
        for (Fault fault : faults) {
            if (fault.detail().startsWith("did not exit")) {
                continue;
            }
            byKind.merge(fault.kind(), 1, Integer::sum);
        }
        int faultCount = byKind.values().stream().mapToInt(Integer::intValue).sum();
        return new Report(backend, config, faultCount, byKind, holds.size(), losses, accepted, refused, stale, deposed, shadowOutOfOrder,
                regressions, duplicates, overlaps, overlapMax, excused, excusedMax, stalled, stalledMax, stalledDetails, stallCount, ms(stallMax), within, withinMax, late, lateMax, overruns, overrunMax,
                orphaned != null, takeovers, missing, takeoversDisturbed, unterminated, violations, (end - runStart) / 1e9);
    }

    private String describe(Hold earlier, Hold later, long ttl) {
        StringBuilder s = new StringBuilder();
        s.append(earlier.worker).append(" token ").append(earlier.token).append(" held from ").append(rel(earlier.start))
                .append(" ms (acquire sent ").append(rel(earlier.sent)).append(") to ").append(rel(earlier.end)).append(" ms (")
                .append(earlier.endKind).append("), local deadline ").append(rel(earlier.deadline)).append(" ms; ")
                .append(later.worker).append(" token ").append(later.token).append(" granted by ").append(rel(later.start))
                .append(" ms (sent ").append(rel(later.sent)).append("); faults nearby:");
        for (Fault f : faults) {
            if (f.end() >= earlier.start - ttl && f.start() <= earlier.end) {
                s.append(" [").append(f.kind()).append(' ').append(f.target()).append(' ').append(f.detail()).append(' ')
                        .append(rel(f.start())).append("..").append(rel(f.end())).append(" ms]");
            }
        }
        return s.toString();
    }

    private static boolean stalledAround(List<long[]> stalls, long from, long to) {
        if (stalls == null) {
            return false;
        }
        for (long[] stall : stalls) {
            if (stall[1] >= from && stall[0] <= to) {
                return true;
            }
        }
        return false;
    }

    private String stallsNear(List<long[]> stalls, long from, long to) {
        StringBuilder s = new StringBuilder("; holder's process stalls:");
        for (long[] stall : stalls) {
            if (stall[1] >= from && stall[0] <= to) {
                s.append(" [").append(rel(stall[0])).append("..").append(rel(stall[1])).append(" ms]");
            }
        }
        return s.toString();
    }

    private static boolean pausedAround(List<Fault> pauses, long from, long to) {
        if (pauses == null) {
            return false;
        }
        for (Fault pause : pauses) {
            if (pause.end() >= from && pause.start() <= to) {
                return true;
            }
        }
        return false;
    }

    private long rel(long nanos) {
        return (nanos - runStart) / 1_000_000;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 100_000.0) / 10.0;
    }
}
