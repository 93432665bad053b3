package io.robit.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The recorded evidence that a worker's code could not run at a given moment, for the late-notice
 * excuse: what covers a holder's local deadline, and when the holder ran again. Each kind is a
 * measurement or a harness record, never an assumption:
 * <ul>
 *   <li>{@link Kind#STOPPED}: the harness stopped the process (SIGSTOP) or made it allocate hard
 *       (a GC storm), by the harness's and the worker's own records;</li>
 *   <li>{@link Kind#STALLED}: the worker's stall detector measured a gap in which none of its
 *       threads ran;</li>
 *   <li>{@link Kind#SAFEPOINT}: the worker's JVM log shows every Java thread stopped at a safepoint
 *       (GC, deoptimisation), from the moment the last one arrived to the end;</li>
 *   <li>{@link Kind#STARVED}: Robit's timer thread was overdue and, by the kernel's account
 *       ({@code schedstat}), spent at least {@link #STARVED_SHARE} of its overdue stretch (less
 *       what the spans above cover) runnable on a runqueue, and ran at most 2 ms or 1 % of the
 *       time since its previous run ({@link #STARVED_MAX_RUN_NANOS}): it had nothing to do but was not
 *       given a CPU. A thread that ran longer was busy, one that was neither running nor waiting
 *       was blocked: both are Robit's fault and excuse nothing. Starvation excuses alone, or
 *       extends a process-wide span when the timer thread was still starved as the process ran
 *       again.</li>
 * </ul>
 * Not thread-safe; built once per check.
 */
final class Stops {
    /** The kinds of evidence, in the order an excuse names them when several cover one moment. */
    enum Kind {
        STARVED("timer thread starved of CPU (schedstat)"),
        SAFEPOINT("JVM at a safepoint (safepoint log)"),
        STALLED("stalled (measured)"),
        STOPPED("stopped by the harness (SIGSTOP or GC storm)");

        final String how;

        Kind(String how) {
            this.how = how;
        }
    }

    /**
     * One stretch in which the process, or its timer thread, could not run; {@code evidence} says
     * what shows it, {@code thenStarved} whether a process-wide span was extended by the timer
     * thread's starvation after it.
     */
    record Span(long from, long to, Kind kind, String evidence, boolean thenStarved) {
        Span(long from, long to, Kind kind, String evidence) {
            this(from, to, kind, evidence, false);
        }
    }

    /**
     * The share of an overdue stretch the timer thread must have spent waiting for a CPU. The rest
     * allows for what a starved thread does once it runs (the tasks that were due before the
     * probe's, the probe's own reading) and the scheduler's accounting; a thread that is busy or
     * blocked for a fifth of the stretch or more is not called starved.
     */
    static final double STARVED_SHARE = 0.8;
    /**
     * The most the timer thread may have run between two probe wake-ups and still be called idle
     * (starved, not busy): the larger of this and {@link #STARVED_MAX_RUN_SHARE} of that interval.
     * A busy thread on a loaded host also waits mostly on the runqueue, so the waiting share alone
     * cannot tell the two apart; what does is that an idle thread, once it runs, needs only what its
     * backlog of due tasks takes (deadline checks, renewal hand-offs: microseconds each), while a
     * thread that is runnable the whole time gets its fair share of a CPU: about 2/load of the
     * interval on this 2-core host, 2 % even at load 100.
     */
    static final long STARVED_MAX_RUN_NANOS = 2_000_000L;
    /** See {@link #STARVED_MAX_RUN_NANOS}. */
    static final double STARVED_MAX_RUN_SHARE = 0.01;

    private final List<Span> spans = new ArrayList<>(); // process-wide: no Java thread of the process ran
    private final List<Holds.TimerLate> timerLate;
    private final long[][] covered; // the process-wide spans merged: sorted, disjoint [from, to]
    private final long[][] coveredStopped; // the same of those in which no thread can wait for a CPU (SIGSTOP, safepoint)
    private final long mergeGapNanos;

    /**
     * @param stops the kinds of harness fault that stop a process
     * @param mergeGapNanos process-wide spans this close after one another are taken as one
     */
    Stops(String process, List<Fault> faults, Set<Fault.Kind> stops, Holds holds, long mergeGapNanos) {
        this.mergeGapNanos = mergeGapNanos;
        for (Fault f : faults) {
            if (stops.contains(f.kind()) && f.target().equals(process)) {
                spans.add(new Span(f.start(), f.end(), Kind.STOPPED, f.kind().toString()));
            }
        }
        // The worker's own record of a GC storm: it may start and end later than the harness asked (the request is polled).
        for (long[] s : holds.storms.getOrDefault(process, List.of())) {
            spans.add(new Span(s[0], s[1], Kind.STOPPED, "GC storm (worker's record)"));
        }
        for (long[] s : holds.stalls.getOrDefault(process, List.of())) {
            spans.add(new Span(s[0], s[1], Kind.STALLED, "stall detector"));
        }
        for (Holds.Safepoint p : holds.safepoints.getOrDefault(process, List.of())) {
            spans.add(new Span(p.from(), p.to(), Kind.SAFEPOINT, "safepoint " + p.operation()));
        }
        timerLate = holds.timerLate.getOrDefault(process, List.of());
        covered = merge(spans);
        // Under SIGSTOP a thread is stopped, at a safepoint blocked: neither is on a runqueue. In a stall or
        // a GC storm (the JVM runs between collections) a thread may be waiting for a CPU all along.
        coveredStopped = merge(spans.stream().filter(sp -> sp.kind() == Kind.SAFEPOINT
                || sp.kind() == Kind.STOPPED && sp.evidence().equals(Fault.Kind.PAUSE_WORKER.toString())).toList());
    }

    /**
     * What kept the holder from being told at {@code at} (its deadline), or null: a process-wide span
     * covering it (of the highest kind when several do), extended through the process-wide spans
     * that follow within the merge gap (a resumed JVM often stalls again at once) and then through
     * the timer thread's overdue stretch if it was starved when the process ran again; or, with no
     * process-wide span, the timer thread's overdue stretch containing {@code at}, if starved,
     * extended the same way through the process-wide spans that follow within the merge gap (a
     * starved thread on a loaded host is often stopped again by a GC before it has run long). In
     * all cases Robit's deadline check, queued behind the overdue probe on the one timer thread,
     * could not have run before the span's end.
     */
    Span at(long at) {
        Span found = null;
        for (Span s : spans) {
            if (s.from() <= at && at <= s.to() && (found == null || s.kind().compareTo(found.kind()) > 0)) {
                found = s;
            }
        }
        if (found == null) {
            Holds.TimerLate late = overdueAt(at);
            if (late == null || !starved(late)) {
                return null;
            }
            found = new Span(late.due(), late.ran(), Kind.STARVED, starvation(late));
        }
        long to = found.to();
        int after = 0;
        boolean grew = true;
        for (int n = 0; grew && n < 100; n++) {
            grew = false;
            for (Span s : spans) {
                if (s.from() <= to + mergeGapNanos && s.to() > to) {
                    to = s.to();
                    after++;
                    grew = true;
                }
            }
        }
        String evidence = found.evidence() + (after == 0 ? "" : ", and " + after + " spans right after");
        Holds.TimerLate late = overdueAt(to);
        if (late != null && late.ran() > to && starved(late)) {
            evidence += "; then the timer thread, overdue since " + ms(to - late.due()) + " ms before the process ran again, "
                    + "was starved until " + ms(late.ran() - to) + " ms after: " + starvation(late);
            return new Span(found.from(), late.ran(), found.kind(), evidence, true);
        }
        return new Span(found.from(), to, found.kind(), evidence);
    }

    /** The timer thread's late wake-up whose overdue stretch [due, ran] contains {@code at}, or null. */
    private Holds.TimerLate overdueAt(long at) {
        for (Holds.TimerLate late : timerLate) {
            if (late.due() <= at && at <= late.ran()) {
                return late;
            }
        }
        return null;
    }

    /**
     * Whether the timer thread's late wake-up was starvation: it ran at most
     * {@link #STARVED_MAX_RUN_NANOS} or {@link #STARVED_MAX_RUN_SHARE} since its previous run, and the wait for a CPU that certainly
     * fell inside the overdue stretch [due, ran], outside the process-wide spans, is at least
     * {@link #STARVED_SHARE} of the part of the stretch those spans leave open. The account covers
     * [previous run, ran]: at most due − previous of it lies before due, and at most the length of
     * the stalls and storms inside the stretch lies in them (a stopped or safepoint-blocked thread
     * does not wait on a runqueue, a stalled one may). A record without the account is no evidence.
     */
    boolean starved(Holds.TimerLate late) {
        long maxRun = Math.max(STARVED_MAX_RUN_NANOS, (long) (STARVED_MAX_RUN_SHARE * (late.ran() - late.previous())));
        if (!late.measured() || late.runNanos() > maxRun) {
            return false;
        }
        long all = coveredWithin(covered, late.due(), late.ran());
        long open = Math.max(0, late.ran() - late.due() - all);
        // Wait certainly in the open part: not before due, and not inside a stall or storm, where it may have been.
        long waitOpen = late.waitNanos() - Math.max(0, late.due() - late.previous())
                - (all - coveredWithin(coveredStopped, late.due(), late.ran()));
        return waitOpen >= STARVED_SHARE * open;
    }

    private String starvation(Holds.TimerLate late) {
        return String.format("timer thread due %.1f ms before it ran, waited %.1f ms for a CPU and ran %.1f ms since its previous run %.1f ms before due",
                ms(late.ran() - late.due()), ms(late.waitNanos()), ms(late.runNanos()), ms(late.due() - late.previous()));
    }

    // How much of [from, to] the merged spans cover.
    private static long coveredWithin(long[][] covered, long from, long to) {
        int i = java.util.Arrays.binarySearch(covered, new long[] {from, from}, java.util.Comparator.comparingLong((long[] c) -> c[0]));
        i = Math.max(0, i < 0 ? -i - 2 : i);
        long sum = 0;
        for (; i < covered.length && covered[i][0] < to; i++) {
            sum += Math.max(0, Math.min(to, covered[i][1]) - Math.max(from, covered[i][0]));
        }
        return sum;
    }

    private static long[][] merge(List<Span> spans) {
        List<Span> sorted = new ArrayList<>(spans);
        sorted.sort(java.util.Comparator.comparingLong(Span::from));
        List<long[]> merged = new ArrayList<>();
        for (Span s : sorted) {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && s.from() <= last[1]) {
                last[1] = Math.max(last[1], s.to());
            } else {
                merged.add(new long[] {s.from(), s.to()});
            }
        }
        return merged.toArray(new long[0][]);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
