package io.robit.cli;

import io.robit.DriverException;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.LockInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The optional {@link Inspectable} capability of a driver, for {@code robit status} and
 * {@code robit list}, failing with exit 69 and a clear line on backends that lack it.
 */
final class Inspection {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z");

    private final Inspectable<String> inspectable;
    private final String uri;

    private Inspection(Inspectable<String> inspectable, String uri) {
        this.inspectable = inspectable;
        this.uri = uri;
    }

    @SuppressWarnings("unchecked")
    static Inspection of(Driver<String> driver, String uri) {
        if (!(driver instanceof Inspectable<?> inspectable)) {
            throw new DriverException("the driver for " + uri + " cannot report lock holders (it does not implement "
                    + "io.robit.spi.Inspectable)", null);
        }
        return new Inspection((Inspectable<String>) inspectable, uri);
    }

    Optional<LockInfo> inspect(String name) {
        return inspectable.inspect(name);
    }

    List<LockInfo> list() {
        try {
            return inspectable.list();
        } catch (UnsupportedOperationException e) {
            throw new DriverException("the driver for " + uri + " cannot enumerate its locks; use robit status NAME", e);
        }
    }

    /** {@code 2026-11-26 05:40:01 UTC (12s ago)}. */
    static String when(Instant instant) {
        Duration ago = Duration.between(instant, Instant.now());
        return WHEN.format(instant.truncatedTo(ChronoUnit.SECONDS).atZone(ZoneId.systemDefault()))
                + " (" + Durations.format(ago.isNegative() ? Duration.ZERO : ago) + " ago)";
    }
}
