package io.robit;

import io.robit.internal.AsyncAcquire;
import io.robit.internal.Events;
import io.robit.internal.Hold;
import io.robit.internal.Jitter;
import io.robit.internal.MutexSettings;
import io.robit.internal.StatsRecorder;
import io.robit.spi.Contention;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A distributed, non-reentrant mutex on one named lock, shared through a {@link Driver} with every
 * other process that uses the same name on the same backend.
 *
 * <p>While held, the lease is renewed every {@code renewPeriod}. The hold is <em>lost</em> when the
 * backend says it is gone, or when no renewal succeeded before the local deadline; then every
 * {@code onLost} listener runs once, {@link Held#lost()} completes and {@link Stats#lockLost()}
 * counts it. A voluntary {@link #unlock()} is never a loss.
 *
 * <p>Thread-safe. One {@code Mutex} holds its lock at most once: a second {@code tryLock}/{@code lock}
 * while held (or while another thread's lock call on it is in progress) throws
 * {@link AlreadyHeldException}. To compete for a lock from several threads, give each its own
 * {@code Mutex} over the same driver.
 *
 * @param <ID> the type of lock names, usually {@code String}
 */
public final class Mutex<ID> {
    private static final Object ACQUIRING = new Object();
    // Long enough to be forever, short enough that adding a ticker reading cannot overflow.
    private static final long FOREVER = Long.MAX_VALUE / 4;

    private final MutexSettings<ID> settings;
    private final Events events;
    private final StatsRecorder stats = new StatsRecorder();
    // null when free, ACQUIRING while a lock call is in progress, else the current Hold.
    private final AtomicReference<Object> state = new AtomicReference<>();
    // The last attempt's grant came after its local deadline and was given back; read by the one
    // acquisition that has claimed the mutex, to back off instead of using the driver's wait.
    private final AtomicBoolean lateGrant = new AtomicBoolean();
    // One view per mutex, so that every thread using asLock() queues on the same local lock.
    private final java.util.concurrent.locks.Lock lockView = new io.robit.internal.MutexLock(this);

    private Mutex(MutexSettings<ID> settings) {
        this.settings = settings;
        this.events = new Events(this, settings.eventListeners(), settings.logger());
    }

    /**
     * A mutex with every option at its default.
     *
     * @param id the lock name
     * @param ttl the lease length; the lock is freed this long after its holder stops renewing
     * @param driver the backend
     * @param <ID> the type of lock names
     * @return the mutex, with every option at its default
     */
    public static <ID> Mutex<ID> of(ID id, Duration ttl, Driver<ID> driver) {
        return builder(id, ttl, driver).build();
    }

    /**
     * Starts building a mutex.
     *
     * @param id the lock name; the driver decides which names it can store
     * @param ttl the lease length, from 1 ms to 36,500 days (100 years); anything else fails here, before any I/O
     * @param driver the backend
     * @param <ID> the type of lock names
     * @return a builder; {@link Builder#build()} makes the mutex
     */
    public static <ID> Builder<ID> builder(ID id, Duration ttl, Driver<ID> driver) {
        return new Builder<>(id, ttl, driver);
    }

    /** {@return the lock name} */
    public ID id() {
        return settings.id();
    }

    /** {@return the lease length} */
    public Duration ttl() {
        return settings.ttl();
    }

    /** {@return the backend this mutex uses} */
    public Driver<ID> driver() {
        return settings.driver();
    }

    /**
     * Makes one attempt to acquire the lock (the seed's {@code LockCtx}). A single attempt opens no
     * {@link Contention}: it calls {@link Driver#acquire} directly, since nothing is learnt for a wait.
     *
     * @return the hold, or empty when another party holds the lock (counted in {@link Stats#lockFailed()})
     * @throws AlreadyHeldException this mutex already holds the lock or is acquiring it
     * @throws DriverException the backend failed
     * @throws InterruptedException the thread was interrupted; nothing is held
     */
    public Optional<Held> tryLock() throws InterruptedException {
        claim();
        long start = started();
        try {
            Optional<Held> held = attempt(start, null);
            if (held.isEmpty()) {
                failed(AcquireOutcome.BUSY, start, null);
            }
            return held;
        } catch (RuntimeException | InterruptedException e) {
            failed(e instanceof InterruptedException ? AcquireOutcome.INTERRUPTED : AcquireOutcome.ERROR, start, e);
            throw e;
        } finally {
            state.compareAndSet(ACQUIRING, null);
        }
    }

    /**
     * Acquires the lock, waiting up to {@code wait} for it to become free. The call opens one
     * {@link Contention} ({@link Driver#contend}), makes every attempt through it, blocks between
     * attempts in its {@link Contention#awaitRelease} (which wakes when the holder releases, where
     * the backend can tell, or its lease expires), and closes it once when the call ends.
     *
     * @param wait the longest to wait; zero makes one attempt
     * @return the hold, or empty when the wait ran out
     * @throws AlreadyHeldException this mutex already holds the lock or is acquiring it
     * @throws DriverException the backend failed
     * @throws InterruptedException the thread was interrupted; nothing is held
     */
    public Optional<Held> tryLock(Duration wait) throws InterruptedException {
        Objects.requireNonNull(wait, "wait");
        if (wait.isNegative()) {
            throw new IllegalArgumentException("wait must not be negative, got " + wait);
        }
        return acquireWaiting(saturatedNanos(wait));
    }

    /**
     * Acquires the lock, waiting as long as it takes.
     *
     * @return the hold
     * @throws AlreadyHeldException this mutex already holds the lock or is acquiring it
     * @throws DriverException the backend failed
     * @throws InterruptedException the thread was interrupted; nothing is held
     */
    public Held lock() throws InterruptedException {
        return acquireWaiting(FOREVER).orElseThrow();
    }

    /**
     * Starts acquiring the lock, waiting as long as it takes, without blocking the caller. Attempts
     * run on a small bounded pool shared by all mutexes, through one {@link Contention} opened for
     * this call; between them the wait goes through {@link Contention#awaitReleaseAsync}, which
     * parks no thread on drivers with asynchronous clients. The contention is closed once when the
     * call ends (granted, timed out, failed or cancelled), before the future completes.
     * The future completes on a Robit thread: run slow follow-up work with the {@code ...Async}
     * methods and an executor of your own.
     *
     * <p>Cancelling the future (or completing it yourself) stops the wait; a lease granted in the
     * meantime is released at once, never left held. Until the call has stopped (at most one attempt
     * later), the mutex still counts as acquiring.
     *
     * @return a future completed with the hold; failed with {@link AlreadyHeldException} if this
     *     mutex is held or acquiring, or with {@link DriverException} if the backend failed
     */
    public CompletableFuture<Held> lockAsync() {
        return acquireAsync(FOREVER, true, held -> held, null);
    }

    /**
     * Like {@link #lockAsync()}, but waits at most {@code wait}: the future then completes empty.
     *
     * @param wait the longest to wait; zero makes one attempt
     * @throws IllegalArgumentException {@code wait} is negative
     * @return a future of the hold, or of empty when the wait runs out
     */
    public CompletableFuture<Optional<Held>> tryLockAsync(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        if (wait.isNegative()) {
            throw new IllegalArgumentException("wait must not be negative, got " + wait);
        }
        return acquireAsync(saturatedNanos(wait), false, Optional::of, Optional.empty());
    }

    /**
     * Releases the lock (the seed's {@code UnlockCtx}). Renewal stops, and when this returns the
     * driver has released the lease. Never fires {@code onLost}. If the local deadline has already
     * passed, the hold is declared lost instead and this throws.
     *
     * @throws AlreadyReleasedException the lock is not held: never locked, already unlocked, or lost
     */
    public void unlock() {
        Object current = state.get();
        if (!(current instanceof Hold<?> hold)) {
            throw new AlreadyReleasedException(settings.id(), current == ACQUIRING ? "a lock call is still in progress" : "it was not locked, or was already unlocked or lost");
        }
        if (!hold.release()) {
            throw new AlreadyReleasedException(settings.id(), hold.isLost() ? "the hold was lost (" + hold.lossReason().orElseThrow() + ")" : "it was already unlocked");
        }
    }

    /** {@return whether this mutex holds its lock now: acquired, not released, not lost, local deadline not passed} */
    public boolean isHeld() {
        return state.get() instanceof Hold<?> hold && hold.isActive();
    }

    /** {@return a snapshot of this mutex's counters} */
    public Stats stats() {
        return stats.snapshot(settings.ticker().read());
    }

    /**
     * Runs {@code work} on the calling thread while holding the lock, then unlocks.
     *
     * <p>Waits up to {@code wait} for the lock. If the hold is lost while {@code work} runs, the
     * thread is interrupted (so blocking calls in {@code work} stop) and this throws
     * {@link LockLostException}; an exception from {@code work} is then attached as suppressed.
     *
     * @return what {@code work} returned
     * @throws LockTimeoutException the lock was not acquired within {@code wait}
     * @throws LockLostException the hold was lost while {@code work} ran
     * @throws AlreadyHeldException this mutex already holds the lock
     * @throws Exception whatever {@code work} threw, when the lock was not lost
     * @param <T> the type of the work's result
     * @param wait the longest to wait; zero makes one attempt
     * @param work what to run while holding the lock, on the calling thread
     */
    public <T> T withLock(Duration wait, Callable<T> work) throws Exception {
        Objects.requireNonNull(work, "work");
        Hold<?> hold = (Hold<?>) tryLock(wait).orElseThrow(() -> new LockTimeoutException(settings.id(), wait));
        Interrupter interrupter = new Interrupter(Thread.currentThread());
        hold.addLossHook(interrupter::fire);
        T result = null;
        Throwable failure = null;
        try {
            result = work.call();
        } catch (Throwable t) {
            failure = t;
        } finally {
            interrupter.disarm();
        }
        if (!hold.release() && hold.isLost()) {
            LockLostException lost = new LockLostException(settings.id(), hold.lossReason().orElseThrow(), "the lock was lost while work ran");
            if (failure != null) {
                lost.addSuppressed(failure);
            }
            throw lost;
        }
        if (failure instanceof Exception e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return result;
    }

    /**
     * The {@link java.util.concurrent.locks.Lock} view of this mutex (the same object on every call), for
     * libraries that take one.
     * Threads of this JVM sharing the view wait for each other locally, then take this mutex; the
     * view is not reentrant ({@link AlreadyHeldException} when the holding thread locks again), only
     * the holding thread may unlock, {@code unlock()} after a loss throws
     * {@link AlreadyReleasedException}, and {@code newCondition()} is unsupported. Loss is told only
     * through this mutex's {@code onLost} listeners: a {@code Lock} cannot interrupt its holder.
     * Do not mix the view with direct {@code lock}/{@code unlock} calls on this mutex.
     *
     * @return a {@code Lock} view of this mutex
     */
    public java.util.concurrent.locks.Lock asLock() {
        return lockView;
    }

    @Override
    public String toString() {
        return "Mutex[" + settings.id() + ", ttl=" + settings.ttl() + ", held=" + isHeld() + "]";
    }

    private Optional<Held> acquireWaiting(long waitNanos) throws InterruptedException {
        claim();
        long start = started();
        long deadlineNanos = start + waitNanos;
        Contention contention = null;
        try {
            contention = contend();
            while (true) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while waiting for lock '" + settings.id() + "'");
                }
                Optional<Held> held = attempt(start, contention);
                if (held.isPresent()) {
                    return held;
                }
                long left = waitNanos == FOREVER ? FOREVER : deadlineNanos - settings.ticker().read();
                if (left <= 0) {
                    failed(AcquireOutcome.TIMEOUT, start, null);
                    return Optional.empty();
                }
                if (lateGrant.getAndSet(false)) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, lateGrantBackoffNanos()));
                } else {
                    contention.awaitRelease(Duration.ofNanos(left));
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            failed(e instanceof InterruptedException ? AcquireOutcome.INTERRUPTED : AcquireOutcome.ERROR, start, e);
            throw e;
        } finally {
            // Before the claim is given back, so a next call on this mutex never meets this call's
            // queued state on the backend.
            closeQuietly(contention);
            state.compareAndSet(ACQUIRING, null);
        }
    }

    /** Opens this call's contention; a driver returning none is a driver bug, reported as such. */
    private Contention contend() {
        return Objects.requireNonNull(settings.driver().contend(settings.id(), settings.ttl(), settings.renewTimeout()),
                () -> "driver " + settings.driver() + " returned no contention for lock '" + settings.id() + "'");
    }

    /** Closes a call's contention, on an interrupted thread too; never throws. */
    private void closeQuietly(Contention contention) {
        if (contention == null) {
            return;
        }
        boolean interrupted = Thread.interrupted(); // closing must do its work on an interrupted thread too
        try {
            contention.close();
        } catch (RuntimeException e) {
            settings.logger().warn("closing the contention for lock '{}' threw; the driver may keep its waiter until it expires", settings.id(), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private <T> CompletableFuture<T> acquireAsync(long waitNanos, boolean forever, Function<Held, T> granted, T timedOut) {
        try {
            claim();
        } catch (AlreadyHeldException e) {
            return CompletableFuture.failedFuture(e);
        }
        long start = started();
        Contention contention;
        try {
            contention = contend();
        } catch (RuntimeException e) {
            failed(AcquireOutcome.ERROR, start, e);
            state.compareAndSet(ACQUIRING, null);
            return CompletableFuture.failedFuture(e);
        }
        AsyncAcquire.Attempt attempt = new AsyncAcquire.Attempt() {
            @Override
            public Optional<Held> attempt() throws InterruptedException {
                return Mutex.this.attempt(start, contention);
            }

            @Override
            public long backoffNanos() {
                return lateGrant.getAndSet(false) ? lateGrantBackoffNanos() : 0;
            }

            @Override
            public void close() {
                closeQuietly(contention);
            }
        };
        return AsyncAcquire.start(settings, start, waitNanos, forever, contention, attempt, (outcome, error) -> {
            if (outcome != null) {
                failed(outcome, start, error);
            }
            state.compareAndSet(ACQUIRING, null);
        }, granted, timedOut);
    }

    private long started() {
        if (events.enabled()) {
            events.acquireStarted();
        }
        return settings.ticker().read();
    }

    private void failed(AcquireOutcome outcome, long startNanos, Throwable error) {
        stats.recordFailed();
        if (events.enabled()) {
            events.acquireFailed(outcome, settings.ticker().read() - startNanos, error);
        }
    }

    private void claim() {
        Object current = state.get();
        // A hold past its local deadline is lost even if no timer has said so yet (isLost declares
        // it), and a lost hold is not "held": take its place rather than refuse.
        boolean taken = current instanceof Hold<?> hold && hold.isLost()
                ? state.compareAndSet(hold, ACQUIRING) || state.compareAndSet(null, ACQUIRING)
                : state.compareAndSet(null, ACQUIRING);
        if (!taken) {
            throw new AlreadyHeldException(settings.id());
        }
        lateGrant.set(false);
    }

    // Caller has claimed the mutex (state is ACQUIRING). Through the call's contention, or straight
    // to the driver for a single attempt (contention null).
    private Optional<Held> attempt(long startNanos, Contention contention) throws InterruptedException {
        // Read just before the request: the lease's local deadline counts from here.
        long sent = settings.ticker().read();
        Optional<Lease> lease = contention != null ? contention.tryAcquire()
                : settings.driver().acquire(settings.id(), settings.ttl(), settings.renewTimeout());
        if (lease.isEmpty()) {
            return Optional.empty();
        }
        Hold<ID> hold = null;
        try {
            hold = new Hold<>(settings, stats, events, lease.get(), sent, this::detach);
            if (hold.expiredOnArrival()) {
                // The acquire took longer than the lease can be trusted for: give it back and retry.
                settings.logger().warn("acquire of lock '{}' returned after its local deadline; releasing it", settings.id());
                releaseUnstarted(lease.get());
                lateGrant.set(true);
                return Optional.empty();
            }
            state.set(hold);
            hold.start();
        } catch (RuntimeException | Error e) {
            // A lease the core could not turn into a running hold would otherwise stay taken on the
            // backend until its ttl (or forever, where a session keeps it alive): give it back.
            if (hold != null) {
                hold.abandon();
                state.compareAndSet(hold, ACQUIRING);
            }
            releaseUnstarted(lease.get());
            throw e;
        }
        if (events.enabled()) {
            events.acquired(hold.fencingToken(), settings.ticker().read() - startNanos);
        }
        return Optional.of(hold);
    }

    private void releaseUnstarted(Lease lease) {
        boolean interrupted = Thread.interrupted(); // the release must happen even on an interrupted thread
        try {
            settings.driver().release(lease);
        } catch (RuntimeException e) {
            settings.logger().warn("release of lock '{}' threw; the lease will expire on its own", settings.id(), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void detach(Hold<ID> hold) {
        state.compareAndSet(hold, null);
    }

    /**
     * The wait after a grant that arrived too late to use (50 to 150 ms, jittered). The lock is free
     * again then, so the driver's wait would return at once and the next attempt would most likely
     * be late too: without it, a ttl near the backend's round trip makes the loop spin.
     */
    private static long lateGrantBackoffNanos() {
        return Jitter.nanosBetween(50, 150);
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return Math.min(duration.toNanos(), FOREVER);
        } catch (ArithmeticException e) {
            return FOREVER;
        }
    }

    /** Interrupts the working thread of {@link #withLock} on loss, and never after it finished. */
    private static final class Interrupter {
        private final Thread thread;
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private boolean armed = true;
        private boolean fired;

        Interrupter(Thread thread) {
            this.thread = thread;
        }

        void fire() {
            lock.lock();
            try {
                if (armed && !fired) {
                    fired = true;
                    thread.interrupt();
                }
            } finally {
                lock.unlock();
            }
        }

        void disarm() {
            lock.lock();
            try {
                armed = false;
                if (fired) {
                    // Our interrupt must not leak into the caller's code after withLock.
                    Thread.interrupted();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Builds a {@link Mutex}. Every option has a default derived from the ttl; {@link #build()}
     * checks them together. Not thread-safe.
     *
     * @param <ID> the type of lock names
     */
    public static final class Builder<ID> {
        // No backend keeps a lease shorter than a millisecond (they count in ms or coarser).
        private static final Duration MIN_TTL = Duration.ofMillis(1);
        // The core counts in long nanoseconds from System.nanoTime(); 100 years keeps every
        // deadline sum and difference far from overflow.
        private static final Duration MAX_DURATION = Duration.ofDays(36_500);

        private final ID id;
        private final Duration ttl;
        private final Driver<ID> driver;
        private Duration renewPeriod;
        private Duration renewTimeout;
        private Duration driftMargin;
        private final List<LossListener> listeners = new ArrayList<>();
        private final List<MutexListener> eventListeners = new ArrayList<>();
        private Logger logger;
        private Ticker ticker = Ticker.system();
        private java.util.concurrent.ScheduledExecutorService scheduler;
        private java.util.concurrent.Executor refreshExecutor;

        private Builder(ID id, Duration ttl, Driver<ID> driver) {
            this.id = Objects.requireNonNull(id, "lock id must not be null");
            this.ttl = positive("ttl", ttl);
            if (ttl.compareTo(MIN_TTL) < 0) {
                throw new IllegalArgumentException("ttl must be at least " + MIN_TTL.toMillis() + " ms, got " + ttl);
            }
            this.driver = Objects.requireNonNull(driver, "driver must not be null");
        }

        /**
         * How often to renew the lease; default {@code ttl/3}; must be less than ttl minus the drift margin.
         *
         * @param renewPeriod how often to renew the lease; less than the ttl minus the drift margin
         * @return this builder
         */
        public Builder<ID> renewPeriod(Duration renewPeriod) {
            this.renewPeriod = positive("renewPeriod", renewPeriod);
            return this;
        }

        /**
         * The most one renewal (and one acquire attempt) may take; default {@code ttl/3}.
         *
         * @param renewTimeout the most one renewal (and one acquire attempt) may take
         * @return this builder
         */
        public Builder<ID> renewTimeout(Duration renewTimeout) {
            this.renewTimeout = positive("renewTimeout", renewTimeout);
            return this;
        }

        /**
         * How much earlier than the backend the holder stops trusting its lease, to cover clock
         * rate differences between this JVM and the backend. Default: 1% of the ttl plus 2 ms,
         * at most 10% of the ttl. Zero is allowed; negative is not. Where the backend guarantees
         * a lease shorter than the ttl (a ZooKeeper session), the margin shrinks in proportion.
         *
         * @param driftMargin how much earlier than the backend the holder stops trusting its lease
         * @return this builder
         */
        public Builder<ID> driftMargin(Duration driftMargin) {
            Objects.requireNonNull(driftMargin, "driftMargin must not be null");
            if (driftMargin.isNegative()) {
                throw new IllegalArgumentException("driftMargin must not be negative, got " + driftMargin);
            }
            this.driftMargin = driftMargin;
            return this;
        }

        /**
         * Runs {@code listener} once when a hold is lost (never on unlock). May be given many times.
         *
         * @param listener the listener to add
         * @return this builder
         */
        public Builder<ID> onLost(Runnable listener) {
            Objects.requireNonNull(listener, "onLost listener must not be null");
            listeners.add(loss -> listener.run());
            return this;
        }

        /**
         * Like {@link #onLost(Runnable)}, and told the reason and the token. May be given many times.
         *
         * @param listener the listener to add
         * @return this builder
         */
        public Builder<ID> onLost(LossListener listener) {
            listeners.add(Objects.requireNonNull(listener, "onLost listener must not be null"));
            return this;
        }

        /**
         * Tells {@code listener} of every acquire, renewal, release and loss (for metrics: see
         * robit-micrometer). May be given many times. Costs nothing when none is given.
         *
         * @param listener the listener to add
         * @return this builder
         */
        public Builder<ID> listener(MutexListener listener) {
            eventListeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /**
         * Where renewal failures (WARN) and losses (ERROR) are logged; default the logger {@code io.robit.Mutex}.
         *
         * @param logger where renewal failures (WARN) and losses (ERROR) are logged
         * @return this builder
         */
        public Builder<ID> logger(Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger must not be null");
            return this;
        }

        /**
         * The monotonic time source; default {@link Ticker#system()}. For tests.
         *
         * @param ticker the monotonic clock to read time from
         * @return this builder
         */
        public Builder<ID> ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker must not be null");
            return this;
        }

        /**
         * Where this mutex times its renewals and local-deadline checks; default Robit's one shared
         * daemon timer thread. Tasks run on it are short and never block (blocking refreshes run on
         * the {@linkplain #refreshExecutor refresh executor}). Delays are in the {@linkplain #ticker(Ticker) ticker}'s
         * nanoseconds, so a test can pass a scheduler that runs tasks when it advances a fake ticker,
         * instead of sleeping. Robit never shuts it down; a scheduler that rejects tasks breaks renewal.
         *
         * @param scheduler the scheduler for this mutex's timers
         * @return this builder
         */
        public Builder<ID> scheduler(java.util.concurrent.ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Where this mutex's blocking {@link io.robit.spi.Lease#refresh} calls run (and the blocking
         * keep-alives of a {@link io.robit.spi.LeaseSession} its leases live on); default Robit's
         * shared pool of daemon worker threads (at most {@code max(16, 4 × processors)} JVM-wide;
         * further refreshes queue). An {@link io.robit.spi.AsyncLease} renews without a thread and
         * does not use it. Safety does not depend on it keeping up: a refresh still waiting to run
         * when {@linkplain #renewTimeout renewTimeout} has passed counts as a failed renewal (and is
         * retried), one that starts after the local deadline is not sent (the hold is lost), and a
         * refresh it rejects fails the same way. A refresh blocks for up to {@code renewTimeout}, so
         * give it threads that may block; a test can pass an executor that runs tasks at once, on
         * the thread that {@linkplain #scheduler(java.util.concurrent.ScheduledExecutorService)
         * advances the scheduler}. Robit never shuts it down.
         *
         * @param refreshExecutor runs this mutex's blocking refreshes
         * @return this builder
         */
        public Builder<ID> refreshExecutor(java.util.concurrent.Executor refreshExecutor) {
            this.refreshExecutor = Objects.requireNonNull(refreshExecutor, "refreshExecutor must not be null");
            return this;
        }

        /**
         * Checks the options together and builds the mutex. Also asks the driver to
         * {@linkplain Driver#validate validate} the lock name, so a bad name fails here, before any I/O.
         *
         * @throws IllegalArgumentException an option is out of range, or the driver rejects the name
         * @return the mutex, not holding its lock yet
         */
        public Mutex<ID> build() {
            Duration third = ttl.dividedBy(3);
            Duration period = renewPeriod != null ? renewPeriod : third;
            Duration timeout = renewTimeout != null ? renewTimeout : third;
            Duration drift = driftMargin != null ? driftMargin : defaultDrift(ttl);
            if (drift.compareTo(ttl) >= 0) {
                throw new IllegalArgumentException("driftMargin " + drift + " must be less than ttl " + ttl);
            }
            if (period.compareTo(ttl.minus(drift)) >= 0) {
                throw new IllegalArgumentException("renewPeriod " + period + " must be less than ttl " + ttl
                        + (drift.isZero() ? "" : " minus driftMargin " + drift) + ", or the lease expires before it is renewed");
            }
            driver.validate(id);
            Logger log = logger != null ? logger : LoggerFactory.getLogger(Mutex.class);
            return new Mutex<>(new MutexSettings<>(id, ttl, period, timeout, drift, driver, listeners, eventListeners, log, ticker,
                    scheduler != null ? scheduler : io.robit.internal.Scheduling.timer(),
                    refreshExecutor != null ? refreshExecutor : io.robit.internal.Scheduling.workers()));
        }

        private static Duration defaultDrift(Duration ttl) {
            Duration drift = ttl.dividedBy(100).plusMillis(2);
            Duration cap = ttl.dividedBy(10);
            return drift.compareTo(cap) > 0 ? cap : drift;
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name + " must not be null");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
            if (value.compareTo(MAX_DURATION) > 0) {
                throw new IllegalArgumentException(name + " must be at most " + MAX_DURATION.toDays() + " days (100 years), got " + value);
            }
            return value;
        }
    }

}
