package io.robit.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses and prints durations the way people type them: {@code 30s}, {@code 500ms}, {@code 1m30s},
 * {@code 1.5h}, {@code 2d}, a bare number of seconds, or ISO-8601 ({@code PT30S}). Stateless.
 */
final class Durations {
    /** What {@code --wait forever} stands for: longer than any wait can run. */
    static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE);

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");
    private static final Pattern NUMBER = Pattern.compile("\\d+(?:\\.\\d+)?");

    private Durations() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException saying what is accepted
     */
    static Duration parse(String text) {
        String value = text.strip().toLowerCase(Locale.ROOT);
        if (value.startsWith("p")) {
            try {
                return Duration.parse(value.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw invalid(text);
            }
        }
        if (NUMBER.matcher(value).matches()) {
            return ofUnits(new BigDecimal(value), "s", text);
        }
        Matcher part = PART.matcher(value);
        Duration total = Duration.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            total = total.plus(ofUnits(new BigDecimal(part.group(1)), part.group(2), text));
            end = part.end();
        }
        if (end == 0 || end != value.length()) {
            throw invalid(text);
        }
        return total;
    }

    private static Duration ofUnits(BigDecimal amount, String unit, String text) {
        long nanosPerUnit = switch (unit) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 86_400_000_000_000L;
        };
        try {
            return Duration.ofNanos(amount.multiply(BigDecimal.valueOf(nanosPerUnit)).toBigInteger().longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too long");
        }
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("'" + text + "' is not a duration; use e.g. 30s, 500ms, 1m30s, 2h or PT30S");
    }

    /** {@code 1h02m}, {@code 2m05s}, {@code 12s}, {@code 1.5s}, {@code 250ms}: short and readable. */
    static String format(Duration duration) {
        if (duration.compareTo(Duration.ofDays(365)) > 0) {
            return "forever";
        }
        long millis = Math.max(0, duration.toMillis());
        if (millis < 1_000) {
            return millis + "ms";
        }
        if (millis < 10_000 && millis % 1_000 != 0) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        long seconds = Math.round(millis / 1000.0);
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }

    /** A positive duration: {@code --ttl}. */
    static final class Positive implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration duration = convertOrThrow(value);
            if (duration.isZero()) {
                throw new TypeConversionException("'" + value + "' must be longer than zero");
            }
            return duration;
        }
    }

    /** Zero or more: {@code --grace}. */
    static final class NonNegative implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return convertOrThrow(value);
        }
    }

    /** Zero or more, or {@code forever}: {@code --wait}. */
    static final class Wait implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String word = value.strip().toLowerCase(Locale.ROOT);
            if (word.equals("forever") || word.equals("inf") || word.equals("infinite")) {
                return FOREVER;
            }
            return convertOrThrow(value);
        }
    }

    private static Duration convertOrThrow(String value) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
