package io.robit.tck;

import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;

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

    /**
     * What one attempt showed: the exception it threw (null if none) and what was printed to
     * {@code System.out}/{@code System.err} meanwhile (loggers that write there, such as slf4j-simple,
     * included).
     *
     * @param error what the attempt threw, or null
     * @param output what was printed while it ran
     */
    public record Attempt(Throwable error, String output) {
        /** The exception, the output and {@code extra} (e.g. the driver, for its {@code toString()}; nulls skipped), for {@link #assertNoSecret}. */
        public List<Object> shown(Object... extra) {
            List<Object> all = new ArrayList<>();
            if (error != null) {
                all.add(error);
            }
            all.add(output);
            for (Object shown : extra) {
                if (shown != null) {
                    all.add(shown);
                }
            }
            return all;
        }
    }

    /**
     * Runs {@code action}, catching what it throws and copying what it prints (it is still printed).
     * Not for concurrent use with other code that swaps {@code System.out}/{@code System.err}.
     */
    public static Attempt attempt(Callable<?> action) {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream out = System.out;
        PrintStream err = System.err;
        System.setOut(new PrintStream(new Tee(out, copy), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(err, copy), true, StandardCharsets.UTF_8));
        Throwable error = null;
        try {
            action.call();
        } catch (Exception | AssertionError e) {
            error = e;
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(out);
            System.setErr(err);
        }
        return new Attempt(error, copy.toString(StandardCharsets.UTF_8));
    }

    /**
     * What a driver with the right credentials showed over a whole life: opened, one lock acquired,
     * refreshed and released, then the backend made unreachable ({@code breakBackend}) and one more
     * acquire tried, which must fail; then the backend repaired ({@code repairBackend}) and the driver
     * closed. Everything printed meanwhile (log lines included) is in the attempt's output; the
     * failed acquire's exception is its error; the driver is given for its {@code toString()}.
     *
     * @param attempt the output, and the error of the acquire after the break (null if it did not fail)
     * @param driver the driver that was opened, or null if opening failed
     */
    public record Lifecycle(Attempt attempt, Object driver) {
        /** Everything to scan: the failed acquire's exception, the output, the driver and its toString. */
        public List<Object> shown() {
            return attempt.shown(driver);
        }
    }

    /**
     * Runs a driver's life (see {@link Lifecycle}) through {@code open}. A failure before the break
     * (the right credentials must work) is rethrown as {@link AssertionError}.
     */
    public static Lifecycle lifecycle(Callable<? extends Driver<String>> open, Runnable breakBackend, Runnable repairBackend) {
        Object[] opened = new Object[1];
        Throwable[] beforeBreak = new Throwable[1];
        Attempt attempt = attempt(() -> {
            Driver<String> driver;
            try {
                driver = open.call();
                opened[0] = driver;
                String id = "secret-scan-" + UUID.randomUUID();
                Lease lease = driver.acquire(id, Duration.ofSeconds(20), Duration.ofSeconds(10))
                        .orElseThrow(() -> new AssertionError("the right credentials did not acquire a free lock"));
                lease.refresh(Duration.ofSeconds(20), Duration.ofSeconds(10));
                driver.release(lease);
            } catch (Exception | AssertionError e) {
                beforeBreak[0] = e;
                return null;
            }
            breakBackend.run();
            try {
                driver.acquire("secret-scan-" + UUID.randomUUID(), Duration.ofSeconds(20), Duration.ofSeconds(2));
                return null;
            } finally {
                repairBackend.run();
                driver.close();
            }
        });
        if (beforeBreak[0] != null) {
            throw new AssertionError("with the right credentials, before the backend was broken", beforeBreak[0]);
        }
        return new Lifecycle(attempt, opened[0]);
    }

    private static final class Tee extends OutputStream {
        private final OutputStream first;
        private final ByteArrayOutputStream second;

        Tee(OutputStream first, ByteArrayOutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) {
            second.write(b); // ByteArrayOutputStream is thread-safe
            try {
                first.write(b);
            } catch (java.io.IOException ignored) {
                // the copy is what matters
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            second.write(b, off, len);
            try {
                first.write(b, off, len);
            } catch (java.io.IOException ignored) {
                // the copy is what matters
            }
        }
    }

    private static String describe(Object shown) {
        return shown == null ? "null" : shown.getClass().getSimpleName();
    }
}
