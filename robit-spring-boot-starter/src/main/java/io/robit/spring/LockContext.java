package io.robit.spring;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalLong;

/**
 * The fencing token of the innermost {@link Locked} call running on the current thread. Send it
 * with every write to the resource the lock protects, and have the resource refuse a token lower
 * than one it has already seen.
 *
 * <p>This is the one thread-bound state in Robit, by design: a {@code @Locked} method runs on the
 * calling thread (that is where {@code withLock} interrupts it on loss), and the token is pushed
 * when the method starts and popped, in a {@code finally}, when it ends. Work the method hands to
 * another thread must be given the token as an argument.
 */
public final class LockContext {
    private static final ThreadLocal<Deque<Long>> TOKENS = ThreadLocal.withInitial(ArrayDeque::new);

    private LockContext() {
    }

    /** The token of the innermost {@code @Locked} hold on this thread; empty outside one. */
    public static OptionalLong fencingToken() {
        Long token = TOKENS.get().peek();
        return token == null ? OptionalLong.empty() : OptionalLong.of(token);
    }

    static void push(long token) {
        TOKENS.get().push(token);
    }

    static void pop() {
        Deque<Long> tokens = TOKENS.get();
        tokens.pop();
        if (tokens.isEmpty()) {
            TOKENS.remove();
        }
    }
}
