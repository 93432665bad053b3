package io.robit;

/**
 * Told when a hold of a lock is lost; the reason-aware form of {@code onLost(Runnable)}.
 *
 * <p>Called at most once per hold, never on a voluntary unlock, on a Robit worker thread (never
 * the renewal scheduler's). An exception it throws is logged and affects neither the lock nor
 * other listeners.
 */
@FunctionalInterface
public interface LossListener {
    /** @param loss what was lost and why */
    void onLost(Loss loss);
}
