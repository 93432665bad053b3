package io.robit.spring;

import java.util.OptionalLong;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The fencing token of the innermost {@link Locked} call running on the current thread. Send it
 * with every write to the resource the lock protects, and have the resource refuse a token lower
 * than one it has already seen.
 *
 * <p>A {@code @Locked} method runs on the calling thread (that is where {@code withLock} interrupts
 * it on loss), so the token belongs to that thread while the method runs: it is bound when the
 * method starts and the outer call's token (or none) is bound again, in a {@code finally}, when it
 * ends. Work the method hands to another thread must be given the token as an argument.
 *
 * <p>Why Spring's thread-bound resources ({@link TransactionSynchronizationManager#bindResource})
 * and not a thread-local variable of Robit's, nor the current AOP invocation: the token must be seen
 * from any code the method calls, through any other proxy, and an exposed AOP invocation is
 * replaced by the next proxy that exposes its own, which would hide the token. Spring's resource
 * map is the facility it keeps for exactly this (a value bound to the thread for the length of a
 * call); the token sits under a key of its own, apart from any transaction's resources, which the
 * transaction managers bind, suspend and unbind by their own keys only.
 */
public final class LockContext {
    /** The token's key in Spring's thread-bound resource map. */
    private static final Object KEY = new Object() {
        @Override
        public String toString() {
            return "io.robit.spring.LockContext.fencingToken";
        }
    };

    private LockContext() {
    }

    /** The token of the innermost {@code @Locked} hold on this thread; empty outside one. */
    public static OptionalLong fencingToken() {
        return TransactionSynchronizationManager.getResource(KEY) instanceof Long token ? OptionalLong.of(token) : OptionalLong.empty();
    }

    /**
     * Binds {@code token} to this thread for a {@code @Locked} call.
     *
     * @return the outer call's token, to {@linkplain #restore restore} when this call ends; null outside one
     */
    static Long enter(long token) {
        Long outer = (Long) TransactionSynchronizationManager.unbindResourceIfPossible(KEY);
        TransactionSynchronizationManager.bindResource(KEY, token);
        return outer;
    }

    /** Ends a {@code @Locked} call: the outer call's token, or none, is this thread's again. */
    static void restore(Long outer) {
        TransactionSynchronizationManager.unbindResourceIfPossible(KEY);
        if (outer != null) {
            TransactionSynchronizationManager.bindResource(KEY, outer);
        }
    }
}
