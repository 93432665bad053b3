package io.robit.tck;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that what a failure shows (an exception's messages, causes, suppressed exceptions and
 * {@code toString()}s, a driver's {@code toString()}, captured output) never contains a secret.
 * Stateless.
 */
public final class SecretScan {
    private SecretScan() {
    }

    /**
     * The text a user could see of {@code shown}: for a {@link Throwable} its whole stack trace with
     * every cause and suppressed exception; otherwise {@code String.valueOf(shown)}.
     */
    public static String render(Object shown) {
        if (shown instanceof Throwable error) {
            StringWriter text = new StringWriter();
            error.printStackTrace(new PrintWriter(text));
            return text.toString();
        }
        return String.valueOf(shown);
    }

    /**
     * Throws {@link AssertionError} naming which of {@code shown} contains which secret (by position,
     * never the secret itself) if any does.
     *
     * @param shown exceptions, drivers, strings of captured output
     * @param secrets the passwords and keys the test used (each at least 4 characters, so a match is no accident)
     */
    public static void assertNoSecret(List<?> shown, String... secrets) {
        List<String> leaks = new ArrayList<>();
        for (String secret : secrets) {
            if (secret == null || secret.length() < 4) {
                throw new IllegalArgumentException("each secret must have at least 4 characters");
            }
        }
        for (int i = 0; i < shown.size(); i++) {
            String text = render(shown.get(i));
            for (int s = 0; s < secrets.length; s++) {
                if (text.contains(secrets[s])) {
                    leaks.add("item " + i + " (" + describe(shown.get(i)) + ") contains secret #" + s);
                }
            }
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError("secrets leaked: " + String.join("; ", leaks));
        }
    }

    private static String describe(Object shown) {
        return shown == null ? "null" : shown.getClass().getSimpleName();
    }
}
