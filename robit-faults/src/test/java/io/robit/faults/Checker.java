package io.robit.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a run's recorded history against Robit's two promises, lock name by lock name. Every
 * check here can fail on a history some broken driver or core would produce; {@code CheckerTest}
 * and the end-to-end negative controls show each one failing.
 *
 * <p><b>Grant order from timing alone.</b> The backend granted hold H at some moment inside
 * [H's acquire sent, H's acquire returned]. G is <em>certainly later</em> than H when G's acquire
 * was sent after H's returned; otherwise their order is known only from the tokens.
 *
 * <p><b>Promise 1, fenced safety</b> (each must be 0):
 * <ul>
 *   <li><em>token order</em>: every grant's token is greater than every token granted (acquire
 *       returned) before that grant's request was sent; equal tokens of two grants are duplicates;</li>
 *   <li><em>stale write accepted</em>: the fenced register accepted a write of H after it had
 *       accepted a write of a hold certainly later than H;</li>
 *   <li><em>refusal without a deposer</em>: the fenced register refused a write of H although no
 *       other hold that was not certainly earlier than H had written before. With ordered tokens a
 *       refusal is exactly the write of a deposed holder; a driver that lowers or reuses tokens makes
 *       these two fire.</li>
 * </ul>
 *
 * <p><b>Promise 2, timely notice</b>, for each pair of holds of one name, E granted before L
 * (by token):
 * <ul>
 *   <li><em>deadline overrun</em>: E still believed and its local deadline had not passed at the
 *       moment the backend granted L. That moment is bounded from both sides: if even L's return
 *       came before min(E's deadline, E's belief end), the overrun is <em>certain</em> (a
 *       violation); if only L's send did and E's deadline came before its belief end, it is
 *       <em>possible</em> (reported with its timeline: the backend's grant may have come after
 *       the deadline). A certain overrun right after a server crash of a backend configured to lose
 *       recent writes is <em>forgotten by the restart</em>, reported apart with when E was told.</li>
 *   <li><em>late notice</em>: E believed for longer than the drift margin after both its deadline
 *       and L's grant. It is excused only when a record shows E's process stopped (SIGSTOP, a GC
 *       storm), stalled (its stall detector measured a gap), at a JVM safepoint, or its Robit timer
 *       thread starved of CPU (by the kernel's account) at the moment the notice was due, its local
 *       deadline, and E was told within {@link #RESUME_GRACE_NANOS} after that ended (see
 *       {@link Stops}); each excuse is reported with that moment and its evidence, counted by kind.</li>
 * </ul>
 * Also violations: an orphaned lock after quiesce, a takeover after a holder kill slower than
 * ttl + 1 s when no network or server fault disturbed it, holds without an end. Measured, not
 * violations: fenced refusals, deposed writes accepted before the new holder wrote, unfenced
 * shadow writes out of order (what fencing prevents), process stalls.
 */
final class Checker {
    /** How soon a resumed holder must have been told for its stop to excuse the overlap. */
    static final long RESUME_GRACE_NANOS = 150_000_000L;
    private static final int MAX_LISTED = 25;
    private static final Set<Fault.Kind> NETWORK_OR_SERVER = EnumSet.of(Fault.Kind.STALL_BOTH, Fault.Kind.STALL_REPLIES,
            Fault.Kind.LATENCY, Fault.Kind.RESET, Fault.Kind.PAUSE_SERVER, Fault.Kind.KILL_SERVER, Fault.Kind.CUT_MEMBER);
    // A GC storm the harness injected stops every thread of the process again and again, often in
    // pauses shorter than the stall detector sees: while it lasts the process is treated as stopped.
    private static final Set<Fault.Kind> STOPS = EnumSet.of(Fault.Kind.PAUSE_WORKER, Fault.Kind.GC_PAUSE);
    /** The report's count of excused late notices for each kind of evidence. */
    static final Map<Stops.Kind, String> EXCUSE_COUNTS = Map.of(Stops.Kind.STOPPED, "lateExcusedStopped", Stops.Kind.STALLED,
            "lateExcusedStalled", Stops.Kind.SAFEPOINT, "lateExcusedSafepoint", Stops.Kind.STARVED, "lateExcusedStarved");

    private final FaultRun.Config config;
    private final Map<String, List<Map<String, String>>> histories;
    private final List<Fault> faults;
    private final List<Oracle.Write> writes;
    private final String orphaned;
    private final long runStart;
    private final long quiesceStart;
    private final long end;
    private final Map<String, Integer> counts = new TreeMap<>();
    private final Map<String, Double> maxima = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();
    private final List<String> details = new ArrayList<>();
    private final Map<String, Stops> stops = new HashMap<>(); // process -> what stopped it
    private boolean workersAreTheServer;

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

    Report check(String backend) {
        long drift = config.drift().toNanos();
        Map<String, Long> kills = new HashMap<>();
        for (Fault fault : faults) {
            if (fault.kind() == Fault.Kind.KILL_WORKER) {
                kills.put(fault.target(), fault.end());
            }
        }
        Holds holds = new Holds(histories, drift, kills, quiesceStart);
        // SQLite has no server: a stopped process inside a write transaction stops everyone, so its stops disturb a takeover as a server pause does.
        workersAreTheServer = backend.startsWith("sqlite");
        for (String p : holds.problems.stream().limit(MAX_LISTED).toList()) {
            violations.add("HISTORY: " + p);
        }
        Map<String, List<Holds.Hold>> byName = new TreeMap<>();
        for (Holds.Hold h : holds.all) {
            byName.computeIfAbsent(h.name, k -> new ArrayList<>()).add(h);
        }
        count("tokenRegressions", 0);
        count("duplicateTokens", 0);
        count("staleAccepted", 0);
        count("refusedWithoutDeposer", 0);
        count("wrongTokenWritten", 0);
        count("overrunsCertain", 0);
        count("overrunsPossible", 0);
        count("overrunsForgotten", 0);
        count("lateNotices", 0);
        for (String excused : EXCUSE_COUNTS.values()) {
            count(excused, 0);
        }
        for (List<Holds.Hold> grants : byName.values()) {
            tokenOrder(grants);
            beliefs(grants, holds, drift);
        }
        register(holds);
        stalls(holds);
        for (String key : List.of("refreshes", "refreshesOk", "keepAlives", "keepAlivesOk", "sessions")) {
            count(key, holds.renewals.getOrDefault(key, 0));
        }
        for (Map.Entry<String, List<Holds.TimerLate>> late : holds.timerLate.entrySet()) {
            Stops of = stopsOf(late.getKey(), holds);
            for (Holds.TimerLate l : late.getValue()) {
                count("timerLate", 1);
                count("timerLateStarved", of.starved(l) ? 1 : 0);
                max("timerLateMaxMs", ms(l.ran() - l.due()));
            }
        }
        count("safepoints", holds.safepoints.values().stream().mapToInt(List::size).sum());
        for (List<Holds.Safepoint> pauses : holds.safepoints.values()) {
            for (Holds.Safepoint p : pauses) {
                max("safepointMaxMs", ms(p.to() - p.from()));
            }
        }
        List<Double> takeovers = takeovers(holds);
        if (orphaned != null) {
            violations.add("ORPHANED LOCK: not free within ttl + 3 s after every worker stopped: " + orphaned + lastHolds(holds, orphaned));
        }
        long unterminated = holds.all.stream().filter(h -> h.endKind.equals("never ended")).count();
        if (unterminated > 0) {
            violations.add(unterminated + " holds have no end in the history (worker died without a kill recorded)");
        }
        count("holds", holds.all.size());
        count("names", byName.size());
        Map<Fault.Kind, Integer> byKind = new EnumMap<>(Fault.Kind.class);
        for (Fault fault : faults) {
            if (!fault.detail().startsWith("did not exit")) {
                byKind.merge(fault.kind(), 1, Integer::sum);
            }
        }
        return new Report(backend, config, byKind, holds.losses, counts, maxima, takeovers, orphaned != null, violations, details,
                (end - runStart) / 1e9, LoadAverage.Figures.UNKNOWN);
    }

    /** Promise 1: a grant's token exceeds every token returned before its request was sent; no two grants share one. */
    private void tokenOrder(List<Holds.Hold> grants) {
        List<Holds.Hold> byReturn = new ArrayList<>(grants);
        byReturn.sort(Comparator.comparingLong(h -> h.start));
        List<Holds.Hold> bySend = new ArrayList<>(grants);
        bySend.sort(Comparator.comparingLong(h -> h.sent));
        Holds.Hold highest = null;
        int p = 0;
        for (Holds.Hold g : bySend) {
            while (p < byReturn.size() && byReturn.get(p).start < g.sent) {
                if (highest == null || byReturn.get(p).token > highest.token) {
                    highest = byReturn.get(p);
                }
                p++;
            }
            if (highest != null && g.token <= highest.token) {
                count("tokenRegressions", 1);
                list("TOKEN REGRESSION: " + g.id() + " was sent at " + rel(g.sent) + " ms, after " + highest.id() + " had been granted ("
                        + rel(highest.start) + " ms): tokens must grow");
            }
        }
        Map<Long, Holds.Hold> seen = new HashMap<>();
        for (Holds.Hold g : byReturn) {
            Holds.Hold other = seen.putIfAbsent(g.token, g);
            if (other != null) {
                count("duplicateTokens", 1);
                list("DUPLICATE TOKEN " + g.token + " on " + g.name + ": granted to " + other.thread + " (" + rel(other.sent) + ".."
                        + rel(other.start) + " ms) and to " + g.thread + " (" + rel(g.sent) + ".." + rel(g.start) + " ms)");
            }
        }
    }

    /** Promise 2: deadline overruns (certain, possible, forgotten by a restart) and late notices. */
    private void beliefs(List<Holds.Hold> grants, Holds holds, long drift) {
        List<Holds.Hold> believed = grants.stream().filter(h -> h.believed).sorted(Comparator.comparingLong(h -> h.sent)).toList();
        for (int i = 0; i < believed.size(); i++) {
            Holds.Hold a = believed.get(i);
            for (int j = i + 1; j < believed.size() && believed.get(j).sent < a.end; j++) {
                Holds.Hold b = believed.get(j);
                if (a.token == b.token) {
                    continue; // a duplicate: reported by tokenOrder
                }
                Holds.Hold e = a.token < b.token ? a : b;
                Holds.Hold l = e == a ? b : a;
                overrun(e, l, drift);
                late(e, l, holds, drift);
            }
        }
    }

    private void overrun(Holds.Hold e, Holds.Hold l, long drift) {
        long entitled = Math.min(e.deadline, e.end);
        if (l.start < entitled) {
            long by = entitled - l.start;
            Fault crash = crashBetween(e.sent, l.start);
            if (crash != null && config.crashLosesWrites()) {
                count("overrunsForgotten", 1);
                long told = e.end - l.start;
                max("forgottenToldAfterMs", ms(told));
                details.add("forgotten by a server restart: " + describe(e, l) + "; told " + ms(told) + " ms after the new grant ("
                        + e.endKind + ")");
                return;
            }
            count("overrunsCertain", 1);
            max("overrunCertainMaxMs", ms(by));
            list("DEADLINE OVERRUN (certain) " + ms(by) + " ms: " + describe(e, l));
        } else if (l.sent < entitled && e.deadline <= e.end) {
            count("overrunsPossible", 1);
            max("overrunPossibleMaxMs", ms(entitled - l.sent));
            details.add("possible deadline overrun, at most " + ms(entitled - l.sent) + " ms (the backend granted inside "
                    + rel(l.sent) + ".." + rel(l.start) + " ms, the deadline was " + rel(e.deadline) + " ms): " + describe(e, l));
        }
    }

    private void late(Holds.Hold e, Holds.Hold l, Holds holds, long drift) {
        long overlap = Math.min(e.end, l.end) - l.start;
        if (e.end <= l.start || overlap <= 0) {
            return;
        }
        count("overlaps", 1);
        max("overlapMaxMs", ms(overlap));
        long due = e.deadline;
        long lateBy = e.end - Math.max(due, l.start);
        if (lateBy <= drift) {
            count("overlapsWithinMargin", 1);
            return;
        }
        Stops.Span stop = stopsOf(e.process, holds).at(due);
        if (stop != null && e.end <= stop.to() + RESUME_GRACE_NANOS) {
            count(EXCUSE_COUNTS.get(stop.kind()), 1);
            count("lateExcusedThenStarved", stop.thenStarved() ? 1 : 0);
            max("lateExcusedMaxMs", ms(lateBy));
            details.add("excused late notice " + ms(lateBy) + " ms: holder " + stop.kind().how + " at its deadline " + rel(due) + " ms ("
                    + rel(stop.from()) + ".." + rel(stop.to()) + " ms), told " + ms(e.end - stop.to()) + " ms after it ran again (evidence: "
                    + stop.evidence() + "): " + describe(e, l) + timerNear(e, holds));
            return;
        }
        count("lateNotices", 1);
        max("lateMaxMs", ms(lateBy));
        list("LATE NOTICE " + ms(lateBy) + " ms: " + describe(e, l) + (stop == null ? "; running at its deadline"
                : "; " + stop.kind().how + " at its deadline until " + rel(stop.to()) + " ms (" + stop.evidence() + ") but told only "
                + ms(e.end - stop.to()) + " ms after")
                + stallsNear(holds.stalls.get(e.process), e.start, e.end) + timerNear(e, holds));
    }

    private Stops stopsOf(String process, Holds holds) {
        return stops.computeIfAbsent(process, p -> new Stops(p, faults, STOPS, holds, Worker.STALL_NANOS));
    }

    private Fault crashBetween(long from, long to) {
        for (Fault f : faults) {
            if (f.kind() == Fault.Kind.KILL_SERVER && f.start() >= from && f.start() <= to) {
                return f;
            }
        }
        return null;
    }

    /** Promise 1 at the resource: the fenced register's answers against the timing of the grants. */
    private void register(Holds holds) {
        int accepted = 0;
        int refused = 0;
        int deposedAccepted = 0;
        int shadowOutOfOrder = 0;
        int unmatched = 0;
        Map<String, Holds.Hold> latestSentWriter = new HashMap<>(); // name -> accepted writer with the greatest acquire send
        Map<String, Holds.Hold[]> latestReturnWriters = new HashMap<>(); // name -> two distinct accepted writers, greatest acquire return
        Map<String, Long> newestGranted = new HashMap<>();
        List<Holds.Hold> byReturn = new ArrayList<>(holds.all);
        byReturn.sort(Comparator.comparingLong(h -> h.start));
        int p = 0;
        for (Oracle.Write w : writes) {
            while (p < byReturn.size() && byReturn.get(p).start < w.at()) {
                newestGranted.merge(byReturn.get(p).name, byReturn.get(p).token, Math::max);
                p++;
            }
            if (!w.fenced()) {
                if (w.token() < w.highestBefore()) {
                    shadowOutOfOrder++;
                }
                continue;
            }
            Holds.Hold h = holds.writer(w.worker(), w.name(), w.token(), w.at());
            if (h == null) {
                unmatched++;
                continue;
            }
            Holds.Hold newer = holds.newerOfThread(h, w.at());
            if (newer != null) {
                // A thread writes only while it holds, and waits for each answer: a write with an older hold's token is the core's or driver's error.
                count("wrongTokenWritten", 1);
                list("WRONG TOKEN WRITTEN at " + rel(w.at()) + " ms: " + h.thread + " wrote " + w.name() + " with token " + w.token()
                        + " of its earlier hold, after it had been granted token " + newer.token + " (" + rel(newer.start) + " ms)");
            }
            if (w.accepted()) {
                accepted++;
                Holds.Hold later = latestSentWriter.get(w.name());
                if (later != null && later != h && later.sent > h.start) {
                    count("staleAccepted", 1);
                    list("STALE WRITE ACCEPTED at " + rel(w.at()) + " ms: " + h.id() + " (granted " + rel(h.sent) + ".." + rel(h.start)
                            + " ms) wrote after " + later.id() + ", whose acquire was sent later (" + rel(later.sent) + " ms), had written");
                }
                if (w.token() < newestGranted.getOrDefault(w.name(), Long.MIN_VALUE)) {
                    deposedAccepted++;
                }
                if (later == null || h.sent > later.sent) {
                    latestSentWriter.put(w.name(), h);
                }
                Holds.Hold[] top = latestReturnWriters.computeIfAbsent(w.name(), k -> new Holds.Hold[2]);
                if (top[0] == h || top[0] == null || h.start > top[0].start) {
                    if (top[0] != h) {
                        top[1] = top[0];
                    }
                    top[0] = h;
                } else if (top[1] == null || h.start > top[1].start) {
                    top[1] = h;
                }
            } else {
                refused++;
                Holds.Hold[] top = latestReturnWriters.getOrDefault(w.name(), new Holds.Hold[2]);
                Holds.Hold other = top[0] != h ? top[0] : top[1];
                if (other == null || other.start < h.sent) {
                    count("refusedWithoutDeposer", 1);
                    list("REFUSED WITHOUT A DEPOSER at " + rel(w.at()) + " ms: " + h.id() + " (granted " + rel(h.sent) + ".." + rel(h.start)
                            + " ms) was refused, yet every other hold that had written was granted before it"
                            + (other == null ? "" : " (latest: " + other.id() + ", returned " + rel(other.start) + " ms)"));
                }
            }
        }
        count("fencedAccepted", accepted);
        count("fencedRefused", refused);
        count("deposedAccepted", deposedAccepted);
        count("shadowOutOfOrder", shadowOutOfOrder);
        if (unmatched > 0) {
            violations.add("HISTORY: " + unmatched + " fenced writes match no recorded hold");
        }
    }

    private void stalls(Holds holds) {
        int n = 0;
        long longest = 0;
        for (Map.Entry<String, List<long[]>> e : holds.stalls.entrySet()) {
            for (long[] s : e.getValue()) {
                boolean harness = faults.stream().anyMatch(f -> STOPS.contains(f.kind()) && f.target().equals(e.getKey())
                        && f.end() >= s[0] && f.start() <= s[1]);
                boolean gc = holds.storms.getOrDefault(e.getKey(), List.of()).stream().anyMatch(g -> g[1] >= s[0] && g[0] <= s[1]);
                if (!harness && !gc) {
                    n++;
                    longest = Math.max(longest, s[1] - s[0]);
                }
            }
        }
        count("stalls", n);
        max("stallMaxMs", ms(longest));
    }

    /**
     * Time from the kill of a process to the next grant of each name it held, when no network or
     * server fault came within ttl + 1 s of the kill. With many names the next grant waits for
     * demand, so a takeover is slow (a violation) only when a thread of a running process waited for
     * that name from before the killed lease's latest expiry (kill + ttl) until 1 s after it, and no
     * one was granted the name in that time.
     */
    private List<Double> takeovers(Holds holds) {
        List<Double> takeovers = new ArrayList<>();
        long ttl = config.ttl().toNanos();
        long second = 1_000_000_000L;
        for (Fault fault : faults) {
            if (fault.kind() != Fault.Kind.KILL_WORKER || !fault.detail().isEmpty()) {
                continue;
            }
            long k = fault.end();
            List<Holds.Hold> victims = holds.all.stream().filter(h -> h.believed && h.process.equals(fault.target()) && h.endKind.equals("killed")
                    && h.start <= k && h.end >= k).toList();
            boolean disturbed = faults.stream().anyMatch(f -> (NETWORK_OR_SERVER.contains(f.kind()) || workersAreTheServer && STOPS.contains(f.kind()))
                    && f.end() >= k && f.start() <= k + ttl + second);
            if (victims.isEmpty() || disturbed) {
                count("takeoversDisturbed", victims.isEmpty() ? 0 : 1);
                continue;
            }
            for (Holds.Hold v : victims) {
                long next = holds.all.stream().filter(h -> h.name.equals(v.name) && h.believed && h.start > k).mapToLong(h -> h.start).min()
                        .orElse(Long.MAX_VALUE);
                long expiry = k + ttl;
                if (next > expiry + second && waitedThrough(holds, v.name, expiry, expiry + second)) {
                    list("SLOW TAKEOVER of " + v.name + " after " + v.process + " was killed at " + rel(k) + " ms: a running thread waited from before "
                            + rel(expiry) + " ms to after " + rel(expiry + second) + " ms and the next grant came "
                            + (next == Long.MAX_VALUE ? "never" : "at " + rel(next) + " ms"));
                }
                if (next != Long.MAX_VALUE && next <= quiesceStart) {
                    takeovers.add(ms(next - k));
                }
            }
        }
        return takeovers;
    }

    // Whether a thread of a process that was neither stopped nor killed waited for the name through [from, to].
    private boolean waitedThrough(Holds holds, String name, long from, long to) {
        for (long[] w : holds.waits.getOrDefault(name, List.of())) {
            if (w[0] <= from && w[1] >= to) {
                String process = holds.processes.get((int) w[2]);
                boolean stopped = faults.stream().anyMatch(f -> f.target().equals(process) && (STOPS.contains(f.kind())
                        || f.kind() == Fault.Kind.GC_PAUSE || f.kind() == Fault.Kind.KILL_WORKER) && f.end() >= from && f.start() <= to);
                if (!stopped) {
                    return true;
                }
            }
        }
        return false;
    }

    private String describe(Holds.Hold e, Holds.Hold l) {
        long ttl = config.ttl().toNanos();
        StringBuilder s = new StringBuilder();
        s.append(e.id()).append(" acquire sent ").append(rel(e.sent)).append(" returned ").append(rel(e.start))
                .append(" ms, local deadline ").append(rel(e.deadline)).append(" ms, belief ended ").append(rel(e.end)).append(" ms (")
                .append(e.endKind).append(e.reason != null ? " " + e.reason : "").append("); ").append(l.id()).append(" acquire sent ")
                .append(rel(l.sent)).append(" returned ").append(rel(l.start)).append(" ms; faults nearby:");
        for (Fault f : faults) {
            if (f.end() >= e.start - ttl && f.start() <= Math.max(e.end, l.start)
                    && (f.target().equals(e.process) || f.target().equals(l.process) || f.target().equals("proxy") || f.target().equals("server"))) {
                s.append(" [").append(f.kind()).append(' ').append(f.target()).append(' ').append(f.detail()).append(' ')
                        .append(rel(f.start())).append("..").append(rel(f.end())).append(" ms]");
            }
        }
        return s.toString();
    }

    // The timeline of an orphaned name ("name: what the check saw"): its last holds, how each ended, whether its release returned.
    private String lastHolds(Holds holds, String orphan) {
        int colon = orphan.indexOf(':');
        String name = colon < 0 ? orphan : orphan.substring(0, colon);
        List<Holds.Hold> of = holds.all.stream().filter(h -> h.name.equals(name)).sorted(Comparator.comparingLong(h -> h.start)).toList();
        StringBuilder s = new StringBuilder("; its last holds:");
        for (Holds.Hold h : of.subList(Math.max(0, of.size() - 3), of.size())) {
            s.append(" [").append(h.id()).append(" acquire sent ").append(rel(h.sent)).append(" returned ").append(rel(h.start))
                    .append(" ms, ").append(h.endKind).append(" at ").append(rel(h.end)).append(" ms, release ")
                    .append(h.released == Long.MAX_VALUE ? "never returned" : "returned at " + rel(h.released) + " ms").append(']');
        }
        for (Fault f : faults) {
            if (f.end() >= quiesceStart - config.ttl().toNanos() * 4) {
                s.append(" [").append(f.kind()).append(' ').append(f.target()).append(' ').append(f.detail()).append(' ')
                        .append(rel(f.start())).append("..").append(rel(f.end())).append(" ms]");
            }
        }
        return s.append("; quiesce began at ").append(rel(quiesceStart)).append(" ms").toString();
    }

    /**
     * What Robit's timer thread did around E's deadline: when the core declared the loss (if
     * recorded), its late wake-ups, and what it was doing while overdue. A late notice with the
     * timer on time points at the notice path; one with the timer late while the process ran, at
     * the timer thread (busy, or not scheduled).
     */
    private String timerNear(Holds.Hold e, Holds holds) {
        long from = e.deadline - 100_000_000L;
        StringBuilder s = new StringBuilder();
        if (e.declared != 0) {
            s.append("; loss declared at ").append(rel(e.declared)).append(" ms");
        }
        s.append("; timer thread late:");
        for (Holds.TimerLate late : holds.timerLate.getOrDefault(e.process, List.of())) {
            if (late.ran() >= from && late.due() <= e.end) {
                s.append(" [due ").append(rel(late.due())).append(" ran ").append(rel(late.ran())).append(" ms");
                if (late.measured()) {
                    s.append(String.format(", since %d ms: waited %.1f ms for a CPU, ran %.1f ms", rel(late.previous()), late.waitNanos() / 1e6,
                            late.runNanos() / 1e6));
                }
                s.append(']');
            }
        }
        for (Holds.Safepoint p : holds.safepoints.getOrDefault(e.process, List.of())) {
            if (p.to() >= from && p.from() <= e.end && p.to() - p.from() >= 10_000_000L) {
                s.append(" [safepoint ").append(p.operation()).append(' ').append(rel(p.from())).append("..").append(rel(p.to())).append(" ms]");
            }
        }
        for (String[] stack : holds.timerStacks.getOrDefault(e.process, List.of())) {
            long seen = Long.parseLong(stack[1]);
            if (seen >= from && seen <= e.end) {
                s.append(" [at ").append(rel(seen)).append(" ms ").append(stack[2]).append(": ").append(stack[3]).append(']');
            }
        }
        return s.toString();
    }

    private String stallsNear(List<long[]> stalls, long from, long to) {
        StringBuilder s = new StringBuilder("; holder's process stalls:");
        for (long[] stall : stalls == null ? List.<long[]>of() : stalls) {
            if (stall[1] >= from && stall[0] <= to) {
                s.append(" [").append(rel(stall[0])).append("..").append(rel(stall[1])).append(" ms]");
            }
        }
        return s.toString();
    }

    private void list(String violation) {
        if (violations.size() < MAX_LISTED * 4) {
            violations.add(violation);
        }
    }

    private void count(String key, int n) {
        counts.merge(key, n, Integer::sum);
    }

    private void max(String key, double value) {
        maxima.merge(key, value, Math::max);
    }

    private long rel(long nanos) {
        return (nanos - runStart) / 1_000_000;
    }

    static double ms(long nanos) {
        return Math.round(nanos / 100_000.0) / 10.0;
    }
}
