package io.robit.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One format for a lock holder wherever the command shows one: {@code pid@host (what the backend
 * adds)}. Drivers describe a holder as {@code pid@host/detail} (see {@link io.robit.spi.LockInfo#owner});
 * anything else is shown as it is. Stateless.
 */
final class Holders {
    private static final Pattern PROCESS = Pattern.compile("(\\d+@[^/\\s]+)/(.+)", Pattern.DOTALL);

    private Holders() {
    }

    static String describe(String owner) {
        Matcher m = PROCESS.matcher(owner);
        return m.matches() ? m.group(1) + " (" + m.group(2) + ")" : owner;
    }
}
