package io.robit.internal;

import io.robit.LossListener;
import io.robit.MutexListener;
import io.robit.Ticker;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;

/**
 * The validated, immutable options of one mutex. {@code scheduler} times its renewals and deadline
 * checks (by default {@link Scheduling#timer()}); {@code refreshExecutor} runs its blocking refreshes
 * (by default {@link Scheduling#workers()}). Not API.
 *
 * @param <ID> the type of lock names
 */
public record MutexSettings<ID>(ID id, Duration ttl, Duration renewPeriod, Duration renewTimeout, Duration driftMargin,
                                Driver<ID> driver, List<LossListener> listeners, List<MutexListener> eventListeners,
                                Logger logger, Ticker ticker, ScheduledExecutorService scheduler,
                                Executor refreshExecutor) {
    public MutexSettings {
        listeners = List.copyOf(listeners);
        eventListeners = List.copyOf(eventListeners);
    }
}
