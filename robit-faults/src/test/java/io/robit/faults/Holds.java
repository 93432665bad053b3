package io.robit.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds every hold of a run from the workers' histories. A worker process ({@code w2.5}) runs
 * several threads ({@code w2.5/t1}) over one shared driver, each on several lock names; a hold is
 * one successful acquire of one name by one thread. The acquire ({@code acq}), belief start
 * ({@code held}), writes and {@code unlock} are recorded on the thread that holds; refreshes and the
 * loss event come from the core's threads, so they are matched by process, name and token (the
 * latest such hold that had started). A hold on a backend session ({@code session} in its
 * {@code acq}) is renewed by the session's keep-alives ({@code sref}) instead, as the core does it:
 * a successful keep-alive sent after the hold's acquire returned and before its deadline, and
 * answered before the hold ended, extends it to the keep-alive's send + the smaller of the hold's
 * ttl and the guarantee, less the drift margin (scaled to that window, see {@link #trusted}). (The core counts a hold from the moment it joins the session's renewal, just after its
 * acquire returned, so this may credit a keep-alive sent in that instant that the core did not:
 * the rebuilt deadline is never earlier than the core's.) Not thread-safe; built once per check.
 */
final class Holds {
    /** One hold of one lock name by one thread. */
    static final class Hold {
        final String process;
        final String thread;
        final String name;
        final long token;
        final long sent;
        final long start;
        String session; // process|session id, for a hold on a backend session; else null
        long ttl = Long.MAX_VALUE; // the ttl the core asked for, when recorded
        long deadline;
        boolean believed;
        long notice = Long.MAX_VALUE;
        long unlock = Long.MAX_VALUE;
        long killed = Long.MAX_VALUE;
        long exit = Long.MAX_VALUE;
        long released = Long.MAX_VALUE; // when the driver's release returned, if it did
        long declared; // when the core declared its loss (its loss hook ran), if recorded; else 0
        long end;
        String endKind;
        String reason;
        Hold next; // the next hold of the same thread and name

        Hold(String process, String thread, String name, long token, long sent, long start, long deadline) {
            this.process = process;
            this.thread = thread;
            this.name = name;
            this.token = token;
            this.sent = sent;
            this.start = start;
            this.deadline = deadline;
        }

        String id() {
            return thread + " " + name + "#" + token;
        }
    }

    /**
     * A late wake-up of Robit's timer thread (due, ran) and, where measured, the kernel's account of
     * the thread since its previous run: time waiting for a CPU, time running.
     */
    record TimerLate(long due, long ran, long previous, long waitNanos, long runNanos, boolean measured) {
    }

    /** A stretch in which the worker's JVM stopped every Java thread (from its safepoint log). */
    record Safepoint(long from, long to, String operation) {
    }

    final List<Hold> all = new ArrayList<>();
    final Map<String, List<long[]>> stalls = new HashMap<>(); // process -> [from, to]
    final Map<String, List<TimerLate>> timerLate = new HashMap<>(); // process -> Robit's timer thread's late wake-ups
    final Map<String, List<Safepoint>> safepoints = new HashMap<>(); // process -> its JVM's safepoints
    final Map<String, List<String[]>> timerStacks = new HashMap<>(); // process -> [due, seen, state, frames] while overdue
    final Map<String, List<long[]>> storms = new HashMap<>(); // process -> [from, to] of the GC storms it ran (its own times)
    final Map<String, Integer> losses = new java.util.TreeMap<>();
    final Map<String, List<long[]>> waits = new HashMap<>(); // name -> [from, to, process index in processes]
    final List<String> processes = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final Map<String, Integer> renewals = new HashMap<>(); // refreshes, refreshesOk, keepAlives, keepAlivesOk, sessions
    private final Map<String, List<Hold>> byThreadKey = new HashMap<>(); // thread|name|token
    private final Map<String, List<Hold>> byProcessKey = new HashMap<>(); // process|name|token
    private final Map<String, List<Hold>> bySession = new HashMap<>(); // process|session
    private final Map<String, List<long[]>> keepAlives = new HashMap<>(); // process|session -> successful [sent, guaranteed, answered]

    /**
     * @param kills the moment each killed process was killed
     * @param quiesceStart holds with no recorded end are closed here
     */
    Holds(Map<String, List<Map<String, String>>> histories, long driftNanos, Map<String, Long> kills, long quiesceStart) {
        for (Map.Entry<String, List<Map<String, String>>> entry : histories.entrySet()) {
            String process = entry.getKey();
            long exit = Long.MAX_VALUE;
            Map<String, Hold> current = new HashMap<>(); // thread|name -> hold
            List<Hold> mine = new ArrayList<>();
            for (Map<String, String> e : entry.getValue()) {
                String kind = e.get("e");
                long t = Long.parseLong(e.getOrDefault("t", "0"));
                String thread = process + "/" + e.getOrDefault("th", "main");
                String name = e.getOrDefault("name", "lock");
                long token = Long.parseLong(e.getOrDefault("token", "0"));
                switch (kind) {
                    case "acq" -> {
                        long sent = Long.parseLong(e.get("sent"));
                        long ttl = e.containsKey("ttlNs") ? Long.parseLong(e.get("ttlNs")) : Long.MAX_VALUE;
                        Hold hold = new Hold(process, thread, name, token, sent, t, sent + trusted(Long.parseLong(e.get("trustedTtlNs")), ttl, driftNanos));
                        all.add(hold);
                        mine.add(hold);
                        Hold previous = current.put(thread + "|" + name, hold);
                        if (previous != null) {
                            previous.next = hold;
                        }
                        byThreadKey.computeIfAbsent(thread + "|" + name + "|" + token, k -> new ArrayList<>()).add(hold);
                        byProcessKey.computeIfAbsent(process + "|" + name + "|" + token, k -> new ArrayList<>()).add(hold);
                        hold.ttl = ttl;
                        String session = e.get("session");
                        if (session != null && !session.isEmpty()) {
                            hold.session = process + "|" + session;
                            bySession.computeIfAbsent(hold.session, k -> new ArrayList<>()).add(hold);
                        }
                    }
                    case "session" -> renewals.merge("sessions", 1, Integer::sum);
                    case "sref" -> {
                        renewals.merge("keepAlives", 1, Integer::sum);
                        renewals.merge("keepAlivesOk", "ok".equals(e.get("outcome")) ? 1 : 0, Integer::sum);
                        if ("ok".equals(e.get("outcome"))) {
                            keepAlives.computeIfAbsent(process + "|" + e.get("session"), k -> new ArrayList<>())
                                    .add(new long[] {Long.parseLong(e.get("sent")), Long.parseLong(e.get("guaranteedNs")), t});
                        }
                    }
                    case "ref" -> {
                        renewals.merge("refreshes", 1, Integer::sum);
                        renewals.merge("refreshesOk", "ok".equals(e.get("outcome")) ? 1 : 0, Integer::sum);
                        Hold hold = latest(byProcessKey.get(process + "|" + name + "|" + token), t);
                        if (hold != null && "ok".equals(e.get("outcome"))) {
                            hold.deadline = Math.max(hold.deadline, Long.parseLong(e.get("sent")) + trusted(Long.parseLong(e.get("trustedTtlNs")), hold.ttl, driftNanos));
                        }
                    }
                    case "held" -> {
                        Hold hold = current.get(thread + "|" + name);
                        if (hold != null && hold.token == token) {
                            hold.believed = true;
                        } else {
                            problems.add(thread + " believed " + name + "#" + token + " without a recorded acquire");
                        }
                    }
                    case "lost" -> {
                        losses.merge(e.get("reason"), 1, Integer::sum);
                        Hold hold = latest(byProcessKey.get(process + "|" + name + "|" + token), t);
                        if (hold != null && t < hold.notice) {
                            hold.notice = t;
                            hold.reason = e.get("reason");
                        }
                    }
                    case "unlock" -> {
                        Hold hold = current.get(thread + "|" + name);
                        if (hold != null && hold.token == token) {
                            hold.unlock = Math.min(hold.unlock, t);
                            hold.declared = Long.parseLong(e.getOrDefault("declared", "0"));
                        }
                    }
                    case "rel" -> {
                        Hold hold = latest(byProcessKey.get(process + "|" + name + "|" + token), t);
                        if (hold != null) {
                            hold.released = Math.min(hold.released, t);
                        }
                    }
                    case "exit" -> exit = t;
                    case "waited" -> {
                        if (processes.isEmpty() || !processes.get(processes.size() - 1).equals(process)) {
                            processes.add(process);
                        }
                        waits.computeIfAbsent(name, k -> new ArrayList<>()).add(new long[] {Long.parseLong(e.get("from")), t, processes.size() - 1});
                    }
                    case "unexpected" -> problems.add(thread + " got an unexpected exception: " + e.get("err"));
                    case "interruptFlagCleared" -> problems.add(thread + " unlock of " + name + "#" + token + " cleared the interrupt flag");
                    case "gc" -> storms.computeIfAbsent(process, k -> new ArrayList<>()).add(new long[] {Long.parseLong(e.get("from")), t});
                    case "timerLate" -> timerLate.computeIfAbsent(process, k -> new ArrayList<>()).add(new TimerLate(Long.parseLong(e.get("from")), t,
                            Long.parseLong(e.getOrDefault("prev", "0")), Long.parseLong(e.getOrDefault("waitNs", "0")),
                            Long.parseLong(e.getOrDefault("runNs", "0")), e.containsKey("waitNs")));
                    case "safepoint" -> safepoints.computeIfAbsent(process, k -> new ArrayList<>())
                            .add(new Safepoint(Long.parseLong(e.get("from")), t, e.getOrDefault("op", "")));
                    case "timerStack" -> timerStacks.computeIfAbsent(process, k -> new ArrayList<>())
                            .add(new String[] {e.get("from"), e.get("t"), e.get("state"), e.get("frames")});
                    case "stall" -> stalls.computeIfAbsent(process, k -> new ArrayList<>()).add(new long[] {Long.parseLong(e.get("from")), t});
                    default -> {
                        // start, write, unlocked, unlockLost, acqErr, waitInterrupted, clock: not needed for holds
                    }
                }
            }
            long killedAt = kills.getOrDefault(process, Long.MAX_VALUE);
            for (Hold hold : mine) {
                hold.killed = killedAt >= hold.start ? killedAt : Long.MAX_VALUE;
                hold.exit = exit;
            }
        }
        for (Hold hold : all) {
            long e = Math.min(Math.min(hold.notice, hold.unlock), Math.min(hold.killed, hold.exit));
            hold.endKind = e == hold.notice ? "told lost" : e == hold.unlock ? "unlocked" : e == hold.killed ? "killed" : "exited";
            if (e == Long.MAX_VALUE) {
                e = quiesceStart;
                hold.endKind = "never ended";
            }
            hold.end = e;
        }
        for (Map.Entry<String, List<Hold>> entry : bySession.entrySet()) {
            extendBySession(entry.getValue(), keepAlives.getOrDefault(entry.getKey(), List.of()), driftNanos);
        }
    }

    /**
     * Extends the holds of one session by its successful keep-alives, in the order they were sent
     * (the core sends one at a time per session): each extends the holds whose acquire returned
     * before it was sent and whose deadline had not passed by then, and whose belief had not ended
     * when it was answered (the core does not extend a hold lost or released meanwhile, such as a
     * Redis lease whose own key the keep-alive found gone).
     */
    private static void extendBySession(List<Hold> holds, List<long[]> keepAlives, long driftNanos) {
        List<Hold> byStart = new ArrayList<>(holds);
        byStart.sort(Comparator.comparingLong(h -> h.start));
        List<long[]> bySent = new ArrayList<>(keepAlives);
        bySent.sort(Comparator.comparingLong(k -> k[0]));
        List<Hold> live = new ArrayList<>();
        int next = 0;
        for (long[] keepAlive : bySent) {
            long sent = keepAlive[0];
            long answered = keepAlive[2];
            while (next < byStart.size() && byStart.get(next).start < sent) {
                live.add(byStart.get(next++));
            }
            // A deadline only grows by later keep-alives, sent and answered later: a hold dropped here stays dropped.
            live.removeIf(h -> h.end <= answered || sent - h.deadline >= 0);
            for (Hold h : live) {
                h.deadline = Math.max(h.deadline, sent + trusted(Math.min(h.ttl, Math.max(0, keepAlive[1])), h.ttl, driftNanos));
            }
        }
    }

    /**
     * How long a grant or renewal sent at some moment is trusted from then, by the core's rule: the
     * window (the smaller of the ttl and what the backend guarantees) less the drift margin, which
     * covers clock rate differences and so shrinks in proportion over a window shorter than the ttl
     * (rounded up, as the core does). With no ttl recorded (older histories) the whole margin.
     */
    static long trusted(long window, long ttl, long driftNanos) {
        if (ttl == Long.MAX_VALUE || window >= ttl) {
            return window - driftNanos;
        }
        return window - (long) Math.ceil(driftNanos * ((double) Math.max(0, window) / ttl));
    }

    /** A hold of the same thread and name as {@code h} that began after it and before {@code at}, or null. */
    Hold newerOfThread(Hold h, long at) {
        return h.next != null && h.next.start < at ? h.next : null;
    }

    /** The hold a write by {@code thread} with this name and token at {@code at} belongs to, or null. */
    Hold writer(String thread, String name, long token, long at) {
        return latest(byThreadKey.get(thread + "|" + name + "|" + token), at);
    }

    private static Hold latest(List<Hold> candidates, long at) {
        Hold best = null;
        if (candidates != null) {
            for (Hold h : candidates) {
                if (h.start <= at && (best == null || h.start > best.start)) {
                    best = h;
                }
            }
            if (best == null && !candidates.isEmpty()) {
                best = candidates.get(candidates.size() - 1);
            }
        }
        return best;
    }
}
