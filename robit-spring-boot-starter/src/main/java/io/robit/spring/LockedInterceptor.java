package io.robit.spring;

import io.robit.LockTimeoutException;
import io.robit.Mutex;
import io.robit.MutexListener;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Runs {@link Locked} methods under {@link Mutex#withLock}, a new mutex per call, with the hold's
 * fencing token in {@link LockContext} while the method runs. Thread-safe.
 */
final class LockedInterceptor implements MethodInterceptor {
    private static final long NO_TOKEN = Long.MIN_VALUE;
    private final Supplier<RobitMutexes> mutexes;
    private final Map<Method, LockedMethod> methods = new ConcurrentHashMap<>();

    /** @param mutexes looked up on first use, so that the post-processor does not create the driver early */
    LockedInterceptor(Supplier<RobitMutexes> mutexes) {
        this.mutexes = mutexes;
    }

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        Method method = invocation.getMethod();
        Object target = invocation.getThis();
        Class<?> targetClass = target != null ? AopUtils.getTargetClass(target) : method.getDeclaringClass();
        LockedMethod spec = spec(AopUtils.getMostSpecificMethod(method, targetClass));
        if (spec == null) {
            return invocation.proceed();
        }
        RobitMutexes factory = mutexes.get();
        String name = spec.lockName(target, invocation.getArguments());
        Duration ttl = spec.ttl().orElse(factory.ttl());
        // withLock does not hand out its Held: the acquire event, fired on this thread before the work runs, carries the token.
        AtomicLong token = new AtomicLong(NO_TOKEN);
        Mutex<String> mutex = factory.builder(name, ttl).listener(new MutexListener() {
            @Override
            public void acquired(Mutex<?> m, long fencingToken, Duration waited) {
                token.set(fencingToken);
            }
        }).build();
        try {
            return mutex.withLock(spec.waitTime(), () -> {
                if (token.get() == NO_TOKEN) {
                    // Never run the method with a made-up token: writes fenced with it would be wrong.
                    throw new IllegalStateException("lock '" + name + "' was acquired but its fencing token was not reported");
                }
                Long outer = LockContext.enter(token.get());
                try {
                    return invocation.proceed();
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new java.lang.reflect.UndeclaredThrowableException(t);
                } finally {
                    LockContext.restore(outer);
                }
            });
        } catch (LockTimeoutException e) {
            if (spec.onTimeout() == Locked.OnTimeout.SKIP) {
                return skipped(method.getReturnType());
            }
            throw e;
        }
    }

    /** Parses and checks every {@code @Locked} method of a bean class at startup. */
    void inspect(Class<?> beanClass) {
        for (Method method : beanClass.getMethods()) {
            spec(method);
        }
        for (Method method : beanClass.getDeclaredMethods()) {
            spec(method);
        }
    }

    /** Builds (without I/O) a mutex for every {@code @Locked} ttl seen, so one that does not fit the defaults fails now. */
    void checkTtls(Supplier<RobitMutexes> mutexes) {
        if (methods.isEmpty()) {
            return;
        }
        RobitMutexes factory = mutexes.get();
        for (LockedMethod spec : methods.values()) {
            try {
                factory.builder("robit-settings-check", spec.ttl().orElse(factory.ttl())).build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("@Locked on " + spec.method().getDeclaringClass().getName() + "." + spec.method().getName()
                        + ": " + e.getMessage(), e);
            }
        }
    }

    private LockedMethod spec(Method method) {
        LockedMethod known = methods.get(method);
        if (known != null) {
            return known;
        }
        Locked locked = AnnotatedElementUtils.findMergedAnnotation(method, Locked.class);
        if (locked == null) {
            return null;
        }
        return methods.computeIfAbsent(method, m -> LockedMethod.parse(m, locked));
    }

    /** What a skipped call returns: nothing, in the method's own type. */
    static Object skipped(Class<?> type) {
        if (type == Optional.class) {
            return Optional.empty();
        }
        if (type == OptionalLong.class) {
            return OptionalLong.empty();
        }
        if (type == OptionalInt.class) {
            return OptionalInt.empty();
        }
        if (type == OptionalDouble.class) {
            return OptionalDouble.empty();
        }
        if (!type.isPrimitive() || type == void.class) {
            return null;
        }
        if (type == boolean.class) {
            return false;
        }
        if (type == char.class) {
            return '\0';
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == double.class) {
            return 0d;
        }
        if (type == float.class) {
            return 0f;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == short.class) {
            return (short) 0;
        }
        return (byte) 0;
    }
}
