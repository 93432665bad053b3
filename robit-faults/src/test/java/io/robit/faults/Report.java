package io.robit.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The checked result of one run: counters and maxima by name (see {@link Checker} for what each
 * means), takeover times, every violation with its timeline, and the details that are reported
 * but are not violations (excused late notices, possible overruns, restarts that forgot a lock).
 */
record Report(String backend, FaultRun.Config config, Map<Fault.Kind, Integer> faultsByKind, Map<String, Integer> lossesByReason,
              Map<String, Integer> counts, Map<String, Double> maxima, List<Double> takeoverMs, boolean orphaned, List<String> violations,
              List<String> details, double seconds, LoadAverage.Figures load) {

    /** This report with the host's load average during the run. */
    Report withLoad(LoadAverage.Figures load) {
        return new Report(backend, config, faultsByKind, lossesByReason, counts, maxima, takeoverMs, orphaned, violations, details, seconds, load);
    }

    int count(String key) {
        return counts.getOrDefault(key, 0);
    }

    double max(String key) {
        return maxima.getOrDefault(key, 0.0);
    }

    int faults() {
        return faultsByKind.values().stream().mapToInt(Integer::intValue).sum();
    }

    int holds() {
        return count("holds");
    }

    int tokenRegressions() {
        return count("tokenRegressions") + count("duplicateTokens");
    }

    int deadlineOverruns() {
        return count("overrunsCertain");
    }

    int lateNotices() {
        return count("lateNotices");
    }

    double takeoverPercentile(double p) {
        if (takeoverMs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(takeoverMs);
        sorted.sort(Comparator.naturalOrder());
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** A human-readable summary, with every violation and every reported detail. */
    String summary() {
        StringBuilder s = new StringBuilder();
        s.append(String.format("backend %s, seed %d, %d workers x %d threads on %d names, ttl %d ms, drift margin %d ms, %.0f s%n", backend,
                config.seed(), config.workers(), config.threads(), config.names(), config.ttl().toMillis(), config.drift().toMillis(), seconds));
        s.append(load).append('\n');
        s.append(String.format("faults %d %s%n", faults(), faultsByKind));
        s.append(String.format("holds %d on %d names, losses %s%n", holds(), count("names"), lossesByReason));
        s.append(String.format("PROMISE 1 (fenced safety): token regressions %d, duplicate tokens %d, stale writes accepted %d, "
                + "refusals without a deposer %d, wrong tokens written %d%n", count("tokenRegressions"), count("duplicateTokens"),
                count("staleAccepted"), count("refusedWithoutDeposer"), count("wrongTokenWritten")));
        s.append(String.format("PROMISE 2 (timely notice): deadline overruns certain %d (max %.1f ms), possible %d (max %.1f ms), "
                + "forgotten by a server restart %d (told within %.1f ms); late notices %d (max %.1f ms)%n", count("overrunsCertain"),
                max("overrunCertainMaxMs"), count("overrunsPossible"), max("overrunPossibleMaxMs"), count("overrunsForgotten"),
                max("forgottenToldAfterMs"), count("lateNotices"), max("lateMaxMs")));
        s.append(String.format("overlapping beliefs %d (max %.1f ms): %d within the drift margin, %d excused (holder stopped at its deadline), "
                + "%d excused (holder stalled at its deadline), %d excused (holder's JVM at a safepoint at its deadline), "
                + "%d excused (holder's timer thread starved of CPU at its deadline), of all excused %d told late because the timer thread "
                + "was starved as the process ran again, max excused %.1f ms%n", count("overlaps"), max("overlapMaxMs"),
                count("overlapsWithinMargin"), count("lateExcusedStopped"), count("lateExcusedStalled"), count("lateExcusedSafepoint"),
                count("lateExcusedStarved"), count("lateExcusedThenStarved"), max("lateExcusedMaxMs")));
        s.append(String.format("fenced writes accepted %d / refused %d; deposed writes accepted before the new holder wrote %d; "
                + "unfenced shadow writes out of token order %d%n", count("fencedAccepted"), count("fencedRefused"), count("deposedAccepted"),
                count("shadowOutOfOrder")));
        s.append(String.format("renewals: per-hold refreshes %d (%d ok), session keep-alives %d (%d ok) on %d sessions; "
                + "Robit timer thread woken over 20 ms late %d times (max %.1f ms; %d of them starved of CPU by schedstat); "
                + "JVM safepoints %d (max %.1f ms)%n", count("refreshes"), count("refreshesOk"),
                count("keepAlives"), count("keepAlivesOk"), count("sessions"), count("timerLate"), max("timerLateMaxMs"),
                count("timerLateStarved"), count("safepoints"), max("safepointMaxMs")));
        s.append(String.format("process stalls not caused by the harness %d (max %.1f ms); orphaned %s%n", count("stalls"), max("stallMaxMs"),
                orphaned));
        s.append(String.format("takeover after holder kill: n=%d p50 %.0f ms p99 %.0f ms max %.0f ms (%d disturbed by a network or server fault)%n",
                takeoverMs.size(), takeoverPercentile(50), takeoverPercentile(99), takeoverPercentile(100), count("takeoversDisturbed")));
        s.append("VIOLATIONS: ").append(violations.size()).append('\n');
        for (String v : violations) {
            s.append("  ! ").append(v).append('\n');
        }
        for (String d : details) {
            s.append("  ~ ").append(d).append('\n');
        }
        return s.toString();
    }
}
