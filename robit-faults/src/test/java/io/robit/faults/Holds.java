package io.robit.faults;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds every hold of a run from the workers' histories. A worker process ({@code w2.5}) runs
 * several threads ({@code w2.5/t1}) over one shared driver, each on several lock names; a hold is
 * one successful acquire of one name by one thread. The acquire ({@code acq}), belief start
 * ({@code held}), writes and {@code unlock} are recorded on the thread that holds; refreshes and the
 * loss event come from the core's threads, so they are matched by process, name and token (the
 * latest such hold that had started). Not thread-safe; built once per check.
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
        long deadline;
        boolean believed;
        long notice = Long.MAX_VALUE;
        long unlock = Long.MAX_VALUE;
        long killed = Long.MAX_VALUE;
        long exit = Long.MAX_VALUE;
        long released = Long.MAX_VALUE; // when the driver's release returned, if it did
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

    final List<Hold> all = new ArrayList<>();
    final Map<String, List<long[]>> stalls = new HashMap<>(); // process -> [from, to]
    final Map<String, List<long[]>> storms = new HashMap<>(); // process -> [from, to] of the GC storms it ran (its own times)
    final Map<String, Integer> losses = new java.util.TreeMap<>();
    final Map<String, List<long[]>> waits = new HashMap<>(); // name -> [from, to, process index in processes]
    final List<String> processes = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    private final Map<String, List<Hold>> byThreadKey = new HashMap<>(); // thread|name|token
    private final Map<String, List<Hold>> byProcessKey = new HashMap<>(); // process|name|token

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
                        Hold hold = new Hold(process, thread, name, token, sent, t, sent + Long.parseLong(e.get("trustedTtlNs")) - driftNanos);
                        all.add(hold);
                        mine.add(hold);
                        Hold previous = current.put(thread + "|" + name, hold);
                        if (previous != null) {
                            previous.next = hold;
                        }
                        byThreadKey.computeIfAbsent(thread + "|" + name + "|" + token, k -> new ArrayList<>()).add(hold);
                        byProcessKey.computeIfAbsent(process + "|" + name + "|" + token, k -> new ArrayList<>()).add(hold);
                    }
                    case "ref" -> {
                        Hold hold = latest(byProcessKey.get(process + "|" + name + "|" + token), t);
                        if (hold != null && "ok".equals(e.get("outcome"))) {
                            hold.deadline = Math.max(hold.deadline, Long.parseLong(e.get("sent")) + Long.parseLong(e.get("trustedTtlNs")) - driftNanos);
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
