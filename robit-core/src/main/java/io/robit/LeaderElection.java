package io.robit;

import io.robit.internal.ElectedTerm;
import io.robit.internal.Scheduling;
import io.robit.spi.Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A candidate in a leader election on one lock name: among all candidates of that name on one
 * backend, at most one is leader at a time. Built on {@link Mutex}, so it works on every backend
 * and keeps the mutex's guarantees: the leader is told it lost leadership no later than the moment
 * the backend could elect another, and each {@link Leadership} carries a term (its fencing token)
 * that strictly grows from leader to leader.
 *
 * <pre>{@code
 * LeaderElection<String> election = LeaderElection.builder("orders-leader", Duration.ofSeconds(10), driver)
 *         .onElected(leadership -> startWork(leadership.term()))
 *         .onRevoked(loss -> stopWork())
 *         .build();
 * election.start();
 * }</pre>
 *
 * <p>After {@link #start()} the candidate campaigns in the background ({@link Mutex#lockAsync()}:
 * no thread waits). When it wins, each {@code onElected} callback runs, in order, on a new thread
 * named {@code robit-leader-<name>}; if leadership is lost while they still run, that thread is
 * interrupted, as {@link Mutex#withLock} does. A callback may return at once (and start work
 * elsewhere, stopping it in {@code onRevoked}) or run the leader's work itself until interrupted.
 * When leadership is lost (the backend says so, or the local deadline passes), the
 * {@code onRevoked} listeners run once, and once the {@code onElected} callbacks have returned the
 * candidate campaigns again. {@link Leadership#close()} resigns (and campaigns again);
 * {@link #close()} resigns and stops campaigning. Neither is a loss: {@code onRevoked} is not called
 * for them.
 *
 * <p>Thread-safe.
 *
 * @param <ID> the type of lock names
 */
public final class LeaderElection<ID> implements AutoCloseable {
    private final Mutex<ID> mutex;
    private final List<Consumer<Leadership>> onElected;
    private final List<LossListener> onRevoked;
    private final List<ElectionListener> listeners;
    private final Logger logger;
    private final Duration retryDelay;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private ElectedTerm current; // guarded by lock
    private CompletableFuture<Held> campaign; // guarded by lock
    private boolean started; // guarded by lock
    private volatile boolean closed;
    private final java.util.concurrent.ScheduledExecutorService scheduler;
    private final Ticker ticker;

    private LeaderElection(Builder<ID> builder) {
        this.onElected = List.copyOf(builder.onElected);
        this.onRevoked = List.copyOf(builder.onRevoked);
        this.listeners = List.copyOf(builder.listeners);
        this.logger = builder.logger != null ? builder.logger : LoggerFactory.getLogger(LeaderElection.class);
        Mutex.Builder<ID> mutexBuilder = Mutex.builder(builder.id, builder.ttl, builder.driver).logger(logger).onLost(this::revoked);
        builder.mutexOptions.forEach(option -> option.accept(mutexBuilder));
        this.mutex = mutexBuilder.build();
        Duration third = mutex.ttl().dividedBy(3);
        this.retryDelay = third.compareTo(Duration.ofSeconds(1)) < 0 ? third : Duration.ofSeconds(1);
        this.scheduler = builder.scheduler;
        this.ticker = builder.ticker;
    }

    /**
     * Starts building a candidate.
     *
     * @param id the election's lock name; every candidate of one election uses the same name
     * @param ttl the lease length: a leader that stops renewing is replaced within about this long
     * @param driver the backend
     * @param <ID> the type of lock names
     * @return a builder; {@link Builder#build()} makes the election
     */
    public static <ID> Builder<ID> builder(ID id, Duration ttl, Driver<ID> driver) {
        return new Builder<>(id, ttl, driver);
    }

    /** {@return the election's lock name} */
    public ID id() {
        return mutex.id();
    }

    /** {@return the mutex this candidate campaigns with (for its {@link Mutex#stats()})} */
    public Mutex<ID> mutex() {
        return mutex;
    }

    /**
     * Starts campaigning in the background. Calling it again does nothing.
     *
     * @throws IllegalStateException the election was closed
     */
    public void start() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("leader election '" + id() + "' is closed");
            }
            if (started) {
                return;
            }
            started = true;
        } finally {
            lock.unlock();
        }
        campaign();
    }

    /** {@return whether this candidate is the leader now (elected, not resigned, not lost, local deadline not passed)} */
    public boolean isLeader() {
        return leadership().isPresent();
    }

    /** {@return the current leadership of this candidate, if it is the leader now} */
    public Optional<Leadership> leadership() {
        lock.lock();
        try {
            return current != null && current.isActive() ? Optional.of(current) : Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until this candidate is the leader, at most {@code wait} by the election's
     * {@linkplain Builder#ticker ticker}.
     *
     * @return the leadership, or empty if the wait ran out first
     * @throws InterruptedException the thread was interrupted
     * @param wait the longest to wait; zero makes one attempt
     */
    public Optional<Leadership> awaitLeadership(Duration wait) throws InterruptedException {
        Objects.requireNonNull(wait, "wait");
        if (wait.isNegative()) {
            throw new IllegalArgumentException("wait must not be negative, got " + wait);
        }
        long deadline = ticker.read() + saturatedNanos(wait);
        lock.lock();
        try {
            while (true) {
                if (current != null && current.isActive()) {
                    return Optional.of(current);
                }
                long left = deadline - ticker.read();
                if (left <= 0 || closed) {
                    return Optional.empty();
                }
                // Also wake now and then: a passed local deadline (or a moved test ticker) is noticed by looking, not by a signal.
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops campaigning and, if this candidate leads, resigns: the {@code onElected} work is
     * interrupted, then (once it returned, or after at most the ttl) the lock is released, so
     * another candidate is elected promptly. Not a loss: {@code onRevoked} is not called. Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<Held> pending;
        ElectedTerm term;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            pending = campaign;
            term = current;
            current = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (pending != null) {
            pending.cancel(false); // a grant racing the cancel is released by the mutex
        }
        if (term != null) {
            resign(term);
        }
    }

    @Override
    public String toString() {
        return "LeaderElection[" + id() + ", leader=" + isLeader() + (closed ? ", closed" : "") + "]";
    }

    private void campaign() {
        CompletableFuture<Held> attempt;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            attempt = mutex.lockAsync();
            campaign = attempt;
        } finally {
            lock.unlock();
        }
        attempt.whenComplete((held, error) -> {
            if (error == null) {
                elected(held);
            } else if (!closed && !(unwrap(error) instanceof CancellationException)) {
                logger.warn("campaign for leadership '{}' failed; trying again in {} ms: {}", id(), retryDelay.toMillis(), unwrap(error).toString());
                scheduler.schedule(this::campaign, retryDelay.toNanos(), TimeUnit.NANOSECONDS);
            }
        });
    }

    private void elected(Held held) {
        ElectedTerm term = new ElectedTerm(held, ticker, this::resignAndCampaign);
        lock.lock();
        try {
            if (closed) {
                held.close();
                return;
            }
            current = term;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        // Prompt: runs on the thread that declares the loss, before any listener.
        held.lost().whenComplete((ignored, error) -> term.stopWork());
        each(l -> l.elected(this, term.term()));
        if (onElected.isEmpty()) {
            term.noWork();
            return;
        }
        Thread worker = new Thread(() -> term.runWork(() -> {
            for (Consumer<Leadership> callback : onElected) {
                try {
                    callback.accept(term);
                } catch (RuntimeException | Error e) {
                    logger.error("onElected callback of leadership '{}' threw; ignored", id(), e);
                }
            }
        }), "robit-leader-" + id());
        worker.setDaemon(true);
        worker.start();
    }

    /** The mutex's loss listener: the current term was lost. */
    private void revoked(Loss loss) {
        ElectedTerm term;
        lock.lock();
        try {
            term = current;
            if (term == null || term.term() != loss.fencingToken() || !term.end()) {
                return;
            }
            current = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        term.stopWork();
        each(l -> l.revoked(this, term.term(), term.age(), loss));
        if (!closed) {
            for (LossListener listener : onRevoked) {
                try {
                    listener.onLost(loss);
                } catch (RuntimeException | Error e) {
                    logger.error("onRevoked listener of leadership '{}' threw; ignored", id(), e);
                }
            }
        }
        term.workDone().thenRun(this::campaign);
    }

    private void resignAndCampaign(ElectedTerm term) {
        lock.lock();
        try {
            if (current == term) {
                current = null;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (resign(term)) {
            term.workDone().thenRun(this::campaign);
        }
    }

    /** Ends {@code term} voluntarily: stop the work, let it return (at most a ttl), release. */
    private boolean resign(ElectedTerm term) {
        if (!term.end()) {
            return false;
        }
        if (!term.isWorkThread()) {
            term.stopWork();
            if (!term.awaitWork(mutex.ttl())) {
                logger.warn("onElected work of leadership '{}' did not stop within {}; resigning anyway", id(), mutex.ttl());
            }
        }
        term.held().close();
        each(l -> l.resigned(this, term.term(), term.age()));
        return true;
    }

    private void each(Consumer<ElectionListener> event) {
        for (ElectionListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException | Error e) {
                logger.error("election listener {} of '{}' threw; ignored", listener, id(), e);
            }
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    /**
     * Builds a {@link LeaderElection}. The lease options are those of {@link Mutex.Builder}. Not
     * thread-safe.
     *
     * @param <ID> the type of lock names
     */
    public static final class Builder<ID> {
        private final ID id;
        private final Duration ttl;
        private final Driver<ID> driver;
        // Each option is checked at once on `check`, and replayed on a fresh mutex builder by build().
        private final Mutex.Builder<ID> check;
        private final List<Consumer<Mutex.Builder<ID>>> mutexOptions = new ArrayList<>();
        private java.util.concurrent.ScheduledExecutorService scheduler = Scheduling.timer();
        private Ticker ticker = Ticker.system();
        private final List<Consumer<Leadership>> onElected = new ArrayList<>();
        private final List<LossListener> onRevoked = new ArrayList<>();
        private final List<ElectionListener> listeners = new ArrayList<>();
        private Logger logger;

        private Builder(ID id, Duration ttl, Driver<ID> driver) {
            this.check = Mutex.builder(id, ttl, driver);
            this.id = id;
            this.ttl = ttl;
            this.driver = driver;
        }

        private Builder<ID> mutexOption(Consumer<Mutex.Builder<ID>> option) {
            option.accept(check);
            mutexOptions.add(option);
            return this;
        }

        /**
         * Runs {@code callback} each time this candidate is elected, on the leadership thread (see
         * {@link LeaderElection}). May be given many times; they run in order.
         *
         * @param callback called with each new leadership, on a Robit worker thread
         * @return this builder
         */
        public Builder<ID> onElected(Consumer<Leadership> callback) {
            onElected.add(Objects.requireNonNull(callback, "onElected callback must not be null"));
            return this;
        }

        /**
         * Runs {@code listener} once when a leadership is lost, on a Robit worker thread; never on
         * resignation or {@link LeaderElection#close()}. May be given many times.
         *
         * @param listener the listener to add
         * @return this builder
         */
        public Builder<ID> onRevoked(LossListener listener) {
            onRevoked.add(Objects.requireNonNull(listener, "onRevoked listener must not be null"));
            return this;
        }

        /**
         * Tells {@code listener} of every election, revocation and resignation (for metrics).
         *
         * @param listener the listener to add
         * @return this builder
         */
        public Builder<ID> listener(ElectionListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /**
         * Tells {@code listener} of the underlying mutex's events (acquire, renew, loss).
         *
         * @param listener the listener to add
         * @return this builder
         */
        public Builder<ID> listener(MutexListener listener) {
            return mutexOption(b -> b.listener(listener));
        }

        /**
         * See {@link Mutex.Builder#renewPeriod}.
         *
         * @param renewPeriod how often to renew the lease; less than the ttl minus the drift margin
         * @return this builder
         */
        public Builder<ID> renewPeriod(Duration renewPeriod) {
            return mutexOption(b -> b.renewPeriod(renewPeriod));
        }

        /**
         * See {@link Mutex.Builder#renewTimeout}.
         *
         * @param renewTimeout the most one renewal (and one acquire attempt) may take
         * @return this builder
         */
        public Builder<ID> renewTimeout(Duration renewTimeout) {
            return mutexOption(b -> b.renewTimeout(renewTimeout));
        }

        /**
         * See {@link Mutex.Builder#driftMargin}.
         *
         * @param driftMargin how much earlier than the backend the holder stops trusting its lease
         * @return this builder
         */
        public Builder<ID> driftMargin(Duration driftMargin) {
            return mutexOption(b -> b.driftMargin(driftMargin));
        }

        /**
         * See {@link Mutex.Builder#ticker}; {@link LeaderElection#awaitLeadership} and the terms'
         * ages read it too. For tests.
         *
         * @param ticker the monotonic clock to read time from
         * @return this builder
         */
        public Builder<ID> ticker(Ticker ticker) {
            Objects.requireNonNull(ticker, "ticker must not be null");
            this.ticker = ticker;
            return mutexOption(b -> b.ticker(ticker));
        }

        /**
         * See {@link Mutex.Builder#scheduler}; the candidate's retries after a failed campaign are
         * timed on it too. For tests, and to keep Robit's timers on threads of your own.
         *
         * @param scheduler the scheduler for the candidate's timers
         * @return this builder
         */
        public Builder<ID> scheduler(java.util.concurrent.ScheduledExecutorService scheduler) {
            Objects.requireNonNull(scheduler, "scheduler must not be null");
            this.scheduler = scheduler;
            return mutexOption(b -> b.scheduler(scheduler));
        }

        /**
         * See {@link Mutex.Builder#refreshExecutor}: where the leader's blocking lease refreshes run.
         *
         * @param refreshExecutor runs the candidate's blocking refreshes
         * @return this builder
         */
        public Builder<ID> refreshExecutor(java.util.concurrent.Executor refreshExecutor) {
            return mutexOption(b -> b.refreshExecutor(refreshExecutor));
        }

        /**
         * Where failures and losses are logged; default the logger {@code io.robit.LeaderElection}.
         *
         * @param logger where renewal failures (WARN) and losses (ERROR) are logged
         * @return this builder
         */
        public Builder<ID> logger(Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger must not be null");
            return this;
        }

        /**
         * Checks the options and builds the candidate; it campaigns only after {@link LeaderElection#start()}.
         *
         * @throws IllegalArgumentException an option is out of range, or the driver rejects the name
         * @return the election, not campaigning until {@link LeaderElection#start()}
         */
        public LeaderElection<ID> build() {
            return new LeaderElection<>(this);
        }
    }
}
