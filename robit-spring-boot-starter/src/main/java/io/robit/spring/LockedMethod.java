package io.robit.spring;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Optional;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.common.TemplateParserContext;
import org.springframework.expression.spel.standard.SpelExpressionParser;

/** One {@link Locked} method, parsed once: its name template, ttl, wait and timeout policy. Immutable. */
final class LockedMethod {
    private static final SpelExpressionParser PARSER = new SpelExpressionParser();
    private static final ParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();

    private final Method method;
    private final Expression name;
    private final Duration ttl;
    private final Duration wait;
    private final Locked.OnTimeout onTimeout;

    private LockedMethod(Method method, Expression name, Duration ttl, Duration wait, Locked.OnTimeout onTimeout) {
        this.method = method;
        this.name = name;
        this.ttl = ttl;
        this.wait = wait;
        this.onTimeout = onTimeout;
    }

    /**
     * Parses {@code method}'s annotation.
     *
     * @throws IllegalArgumentException the name, ttl or wait cannot be parsed; the message names the method
     */
    static LockedMethod parse(Method method, Locked locked) {
        String where = "@Locked on " + method.getDeclaringClass().getName() + "." + method.getName() + ": ";
        if (locked.name().isBlank()) {
            throw new IllegalArgumentException(where + "name must not be blank");
        }
        Expression name;
        try {
            name = PARSER.parseExpression(locked.name(), new TemplateParserContext());
        } catch (ParseException e) {
            throw new IllegalArgumentException(where + "name '" + locked.name() + "' is not a valid template: " + e.getMessage(), e);
        }
        Duration ttl = locked.ttl().isEmpty() ? null : duration(where, "ttl", locked.ttl());
        if (ttl != null && (ttl.isZero() || ttl.isNegative())) {
            throw new IllegalArgumentException(where + "ttl must be positive, got '" + locked.ttl() + "'");
        }
        Duration wait = duration(where, "waitFor", locked.waitFor());
        if (wait.isNegative()) {
            throw new IllegalArgumentException(where + "waitFor must not be negative, got '" + locked.waitFor() + "'");
        }
        return new LockedMethod(method, name, ttl, wait, locked.onTimeout());
    }

    /** The lock name for one call. */
    String lockName(Object target, Object[] args) {
        MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(target, method, args, NAMES);
        String value = name.getValue(context, String.class);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("@Locked on " + method.getName() + ": name '" + name.getExpressionString() + "' evaluated to an empty lock name");
        }
        return value;
    }

    /** The ttl, or empty for the default. */
    Optional<Duration> ttl() {
        return Optional.ofNullable(ttl);
    }

    Duration waitTime() {
        return wait;
    }

    Locked.OnTimeout onTimeout() {
        return onTimeout;
    }

    Method method() {
        return method;
    }

    private static Duration duration(String where, String what, String text) {
        try {
            return DurationStyle.detectAndParse(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + what + " '" + text + "' is not a duration (such as 10s, 500ms, PT1M)", e);
        }
    }
}
