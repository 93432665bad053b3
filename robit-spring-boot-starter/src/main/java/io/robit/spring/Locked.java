package io.robit.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated bean method while holding a Robit lock, through {@link io.robit.Mutex#withLock}:
 * the lock is taken before the call and released after it; if the lock is lost while the method
 * runs, the method's thread is interrupted and the call ends with {@link io.robit.LockLostException}.
 * The method reads the hold's fencing token with {@link LockContext#fencingToken()}.
 *
 * <pre>{@code
 * @Locked(name = "orders-#{#orderId}", ttl = "30s", waitFor = "5s")
 * public void ship(long orderId) { ... }
 *
 * @Scheduled(fixedDelay = 60_000)
 * @Locked(name = "nightly-report", onTimeout = Locked.OnTimeout.SKIP)
 * public void report() { ... }   // runs on one instance at a time; the others skip
 * }</pre>
 *
 * <p>The method must be called through its Spring proxy (a call from the same object bypasses it,
 * as for {@code @Transactional}). Every call makes a new mutex, so concurrent calls in one JVM
 * compete for the lock exactly as calls in different JVMs do. Locks are not reentrant: a
 * {@code @Locked} method that calls another on the same name waits for itself until {@code waitFor}
 * runs out, then fails or skips.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Locked {
    /**
     * The lock name: a template in which {@code #{...}} is a SpEL expression over the method's
     * arguments, by name ({@code #orderId}, needs {@code -parameters}, as Boot's build plugins set)
     * or by position ({@code #p0}, {@code #a0}); {@code #root} is the bean itself.
     */
    String name();

    /** The lease length, such as {@code "10s"}, {@code "500ms"} or {@code "PT1M"}; empty for {@code robit.ttl}. */
    String ttl() default "";

    /**
     * How long to wait for the lock; {@code "0s"} (the default) makes one attempt. (Named
     * {@code waitFor} because an annotation attribute cannot be called {@code wait}.)
     */
    String waitFor() default "0s";

    /** What happens when the wait runs out. */
    OnTimeout onTimeout() default OnTimeout.FAIL;

    /** What a {@code @Locked} call does when the lock is not acquired within {@link #waitFor()}. */
    enum OnTimeout {
        /** Throw {@link io.robit.LockTimeoutException}. */
        FAIL,
        /**
         * Skip the method and return {@code null}, an empty {@code Optional}, or zero/false for a
         * primitive: for {@code @Scheduled} jobs that one instance of many should run.
         */
        SKIP
    }
}
