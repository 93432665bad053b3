package io.robit.bench.core;

import java.util.Arrays;

/**
 * The first three arguments of the hand-over floor programs: seconds per round, rounds, and how many
 * clients pass the turn around.
 */
public record RingArgs(int seconds, int rounds, int clients) {
    /** Parses {@code [seconds=10] [rounds=3] [clients=4]}; rejects values that measure nothing. */
    public static RingArgs parse(String[] args) {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        if (seconds < 1 || rounds < 1 || clients < 2) {
            throw new IllegalArgumentException("need seconds >= 1, rounds >= 1, clients >= 2; got " + Arrays.toString(args));
        }
        return new RingArgs(seconds, rounds, clients);
    }
}
