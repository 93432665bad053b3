package io.robit.internal;

import io.robit.AcquireOutcome;
import io.robit.Loss;
import io.robit.Mutex;
import io.robit.MutexListener;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Delivers lifecycle events of one mutex to its {@link MutexListener}s, each guarded so a throwing
 * listener is logged and changes nothing else. Callers check {@link #enabled()} first so that
 * with no listener no event is built. Thread-safe. Not API.
 */
public final class Events {
    private final Mutex<?> mutex;
    private final MutexListener[] listeners;
    private final Logger logger;

    public Events(Mutex<?> mutex, List<MutexListener> listeners, Logger logger) {
        this.mutex = mutex;
        this.listeners = listeners.toArray(new MutexListener[0]);
        this.logger = logger;
    }

    public boolean enabled() {
        return listeners.length != 0;
    }

    public void acquireStarted() {
        each(l -> l.acquireStarted(mutex));
    }

    public void acquired(long token, long waitedNanos) {
        Duration waited = Duration.ofNanos(waitedNanos);
        each(l -> l.acquired(mutex, token, waited));
    }

    public void acquireFailed(AcquireOutcome outcome, long waitedNanos, Throwable error) {
        Duration waited = Duration.ofNanos(waitedNanos);
        each(l -> l.acquireFailed(mutex, outcome, waited, error));
    }

    public void renewed(long latencyNanos, long untilDeadlineNanos) {
        Duration latency = Duration.ofNanos(latencyNanos);
        Duration left = Duration.ofNanos(Math.max(0, untilDeadlineNanos));
        each(l -> l.renewed(mutex, latency, left));
    }

    public void renewFailed(Throwable error, long untilDeadlineNanos) {
        Duration left = Duration.ofNanos(Math.max(0, untilDeadlineNanos));
        each(l -> l.renewFailed(mutex, error, left));
    }

    public void released(long heldNanos) {
        Duration heldFor = Duration.ofNanos(Math.max(0, heldNanos));
        each(l -> l.released(mutex, heldFor));
    }

    public void lost(Loss loss) {
        // A plain loop, no lambda: the first loss of a JVM is often declared on the timer thread at a
        // deadline, and linking a lambda there took hundreds of ms on a starved host (the fault suite).
        for (MutexListener listener : listeners) {
            try {
                listener.lost(mutex, loss);
            } catch (RuntimeException | Error e) {
                logger.error("listener {} of lock '{}' threw; ignored", listener, mutex.id(), e);
            }
        }
    }

    private void each(Consumer<MutexListener> event) {
        for (MutexListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException | Error e) {
                logger.error("listener {} of lock '{}' threw; ignored", listener, mutex.id(), e);
            }
        }
    }
}
