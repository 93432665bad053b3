package io.robit.cli;

import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.LockInfo;
import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * While {@code robit run} waits, says on stderr who holds the lock and when its lease expires, at
 * most once a second: on a terminal one line refreshed in place, otherwise a new line only when the
 * holder or token changes (so logs of cron jobs stay short). Runs on its own daemon thread;
 * {@link #close()} stops it.
 */
final class WaitReporter implements AutoCloseable {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final Driver<String> driver;
    private final String name;
    private final PrintStream err;
    private final boolean terminal = System.console() != null;
    private final Thread thread;
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile boolean refreshing;

    private WaitReporter(Driver<String> driver, String name, PrintStream err) {
        this.driver = driver;
        this.name = name;
        this.err = err;
        this.thread = new Thread(this::report, "robit-wait-reporter");
        this.thread.setDaemon(true);
    }

    static WaitReporter start(Driver<String> driver, String name, PrintStream err) {
        WaitReporter reporter = new WaitReporter(driver, name, err);
        reporter.thread.start();
        return reporter;
    }

    private void report() {
        String lastKey = null;
        if (!(driver instanceof Inspectable<?>)) {
            err.println("robit: waiting for lock '" + name + "' (held elsewhere; this backend cannot say by whom)");
            return;
        }
        @SuppressWarnings("unchecked")
        Inspectable<String> inspectable = (Inspectable<String>) driver;
        while (stop.getCount() > 0) {
            Optional<LockInfo> info;
            try {
                info = inspectable.inspect(name);
            } catch (RuntimeException e) {
                info = Optional.empty(); // a status line is not worth failing over
            }
            if (stop.getCount() == 0) {
                return;
            }
            if (info.isPresent() && info.get().held()) {
                LockInfo lock = info.get();
                String key = lock.owner().orElse("") + "#" + lock.fencingToken();
                if (terminal) {
                    err.print("\r\033[K" + line(lock));
                    err.flush();
                    refreshing = true;
                } else if (!Objects.equals(key, lastKey)) {
                    err.println(line(lock));
                }
                lastKey = key;
            }
            try {
                if (stop.await(1, TimeUnit.SECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String line(LockInfo lock) {
        StringBuilder line = new StringBuilder("robit: waiting for lock '").append(name).append("': held by ")
                .append(lock.owner().map(Holders::describe).orElse("?")).append(" (token ").append(lock.fencingToken()).append(')');
        lock.since().ifPresent(since -> line.append(" since ")
                .append(CLOCK.format(LocalTime.ofInstant(since.truncatedTo(ChronoUnit.SECONDS), ZoneId.systemDefault()))));
        lock.expiresIn().ifPresent(left -> line.append(", lease expires in ").append(Durations.format(left))
                .append(" unless renewed"));
        return line.toString();
    }

    /** Stops reporting; ends a refreshed terminal line. */
    @Override
    public void close() {
        stop.countDown(); // no interrupt: it could land in the middle of the driver's I/O
        try {
            thread.join(Duration.ofSeconds(2).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (refreshing) {
            err.println();
        }
    }
}
