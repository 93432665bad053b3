package io.robit.internal;

import io.robit.Held;
import io.robit.LockLostException;
import io.robit.Loss;
import io.robit.LossListener;
import io.robit.LossReason;
import io.robit.spi.Lease;
import io.robit.spi.SessionLease;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One hold of a lock: its local deadline and the single transition to released or lost, with what
 * each ending does (count, tell the listeners, give the lease back). Its {@link Renewal} keeps it
 * alive. Thread-safe. Not API.
 *
 * <p>The local deadline is the {@link io.robit.Ticker} reading taken just before the last
 * successful acquire or refresh request (or keep-alive of the lease's session) was sent, plus the
 * ttl (or less, if the backend guarantees less), minus the drift margin: the
 * backend cannot have expired the lease before then, so until then "held" is true. A refresh sent
 * at or after the deadline proves nothing about the time in between: it ends the hold as lost.
 *
 * @param <ID> the type of lock names
 */
public final class Hold<ID> implements Held {
    // The state is ACTIVE, RELEASED, or the LossReason itself, so "lost" and its reason appear together.
    private static final Object ACTIVE = new Object();
    private static final Object RELEASED = new Object();
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Hold.class, "state", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static {
        // Loaded before any deadline passes: the first loss of a JVM is usually declared on the timer
        // thread, where loading this class from disk took 200 ms on a starved host (finding 9 of
        // docs/reliability.md).
        new Loss("", LossReason.GONE, 0, Duration.ZERO, Optional.empty());
    }

    private final MutexSettings<ID> settings;
    private final StatsRecorder stats;
    private final Events events;
    private final Lease lease;
    private final Consumer<Hold<ID>> onEnd;
    private final long acquiredNanos;
    private final Instant acquiredAt;
    private final long trustedNanos;
    private final HoldKeeper renewal;

    // A field of the hold itself, not an AtomicReference beside it: the deadline checks of a session
    // with many holds read it for each, and each object more is one more cache miss per hold (issue 18).
    private volatile Object state = ACTIVE;
    private final boolean eventsEnabled;
    private final CompletableFuture<Void> lostSignal = new CompletableFuture<>();
    private final List<Runnable> lossHooks = new CopyOnWriteArrayList<>();
    private volatile long deadlineNanos;

    /**
     * @param sentNanos ticker reading taken just before the acquire request was sent
     * @param onEnd called once when the hold ends, to detach it from its mutex
     */
    public Hold(MutexSettings<ID> settings, StatsRecorder stats, Events events, Lease lease, long sentNanos, Consumer<Hold<ID>> onEnd) {
        this.settings = settings;
        this.stats = stats;
        this.events = events;
        this.lease = lease;
        this.onEnd = onEnd;
        this.acquiredNanos = sentNanos;
        this.acquiredAt = Instant.now();
        this.eventsEnabled = events.enabled();
        long window = windowNanos(settings, lease);
        this.trustedNanos = trustedNanos(settings.ttl().toNanos(), settings.driftMargin().toNanos(), window);
        this.deadlineNanos = sentNanos + trustedNanos;
        // A backend that guarantees less than the ttl is renewed often enough for what it guarantees.
        long periodNanos = Math.max(1, Math.min(settings.renewPeriod().toNanos(), window / 3));
        // A lease that lives as long as its session is renewed with the session, once for all its holds.
        this.renewal = lease instanceof SessionLease onSession
                ? new SessionMember(this, settings, stats, Objects.requireNonNull(onSession.session(), "SessionLease.session() returned null"),
                        periodNanos, eventsEnabled)
                : new Renewal(this, settings, lease, periodNanos);
    }

    /** Whether the local deadline had already passed when the acquire returned. */
    public boolean expiredOnArrival() {
        return settings.ticker().read() >= deadlineNanos;
    }

    /** Records the acquisition and starts renewal and loss watching. */
    public void start() {
        long now = settings.ticker().read();
        stats.recordAcquired(now, acquiredAt);
        renewal.start(acquiredNanos);
        lease.lost().whenComplete((ignored, error) -> lose(reasonOf(error), unwrap(error)));
    }

    /** The lease behind this hold. */
    public Lease lease() {
        return lease;
    }

    @Override
    public long fencingToken() {
        return lease.fencingToken();
    }

    @Override
    public Instant acquiredAt() {
        return acquiredAt;
    }

    @Override
    public boolean isLost() {
        expireIfDue();
        return state instanceof LossReason;
    }

    @Override
    public Optional<LossReason> lossReason() {
        isLost();
        return state instanceof LossReason reason ? Optional.of(reason) : Optional.empty();
    }

    @Override
    public CompletableFuture<Void> lost() {
        expireIfDue();
        if (lostSignal.isDone()) {
            return CompletableFuture.completedFuture(null);
        }
        // The loss is usually declared on the one timer thread: a caller's callback run there
        // would hold up every other hold's renewals and deadline checks.
        return lostSignal.thenApplyAsync(ignored -> null, Scheduling.notifiers());
    }

    @Override
    public void close() {
        release();
    }

    /** True while held and before the local deadline; declares the loss if the deadline has passed. */
    public boolean isActive() {
        return state == ACTIVE && !expireIfDue();
    }

    /**
     * Runs {@code hook} on the thread that declares the loss, at once if already lost. Hooks
     * must be quick, must not block, and must tolerate being run twice.
     */
    public void addLossHook(Runnable hook) {
        lossHooks.add(hook);
        if (state instanceof LossReason) {
            hook.run();
        }
    }

    /**
     * Ends the hold voluntarily: stops renewal, waits for an in-flight refresh to stop, then
     * releases the lease. If the local deadline has already passed, the hold is declared lost
     * instead (the backend may have handed the lock on by now).
     *
     * @return true if this call released it; false if it was already released or lost
     */
    public boolean release() {
        if (expireIfDue() || !STATE.compareAndSet(this, ACTIVE, RELEASED)) {
            return false;
        }
        long now = settings.ticker().read();
        stats.recordReleased(now);
        renewal.stop();
        // An unlock on an interrupted thread (after `catch (InterruptedException e) { interrupt(); }`,
        // say) must still give the lock back at once, not leave it to its ttl; the flag is put back after.
        boolean interrupted = Thread.interrupted();
        try {
            renewal.awaitStopped();
            releaseLease();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        onEnd.accept(this);
        if (eventsEnabled) {
            events.released(now - acquiredNanos);
        }
        return true;
    }

    /**
     * Stops a hold whose {@link #start()} failed, without releasing the lease (the caller gives
     * it back) and without counting a release or a loss.
     */
    public void abandon() {
        if (STATE.compareAndSet(this, ACTIVE, RELEASED)) {
            renewal.stop();
        }
    }

    /** Declares the loss if the local deadline has passed; true if it has. */
    boolean expireIfDue() {
        return state == ACTIVE && expireIfDue(settings.ticker().read());
    }

    /** {@link #expireIfDue()} at {@code nowNanos}, a reading of this hold's ticker (one reading for many holds). */
    boolean expireIfDue(long nowNanos) {
        // Its own deadline first: what a session's keep-alive gave only ever lies later.
        if (state == ACTIVE && nowNanos - deadlineNanos >= 0 && nowNanos - deadlineNanos() >= 0) {
            lose(LossReason.DEADLINE_PASSED, renewal.lastError());
            return true;
        }
        return false;
    }

    /** Whether neither released nor lost yet (the deadline aside): renewal goes on while true. */
    boolean isRunning() {
        return state == ACTIVE;
    }

    /** The local deadline, in ticker nanoseconds: its own, or later if its session's keep-alives extended it. */
    long deadlineNanos() {
        return renewal.deadlineAfter(deadlineNanos);
    }

    /** A refresh sent at {@code sentNanos}, before the deadline, succeeded: count it and move the deadline. */
    void renewed(long sentNanos) {
        renewedFor(sentNanos, trustedNanos);
    }

    /** Moves its own deadline to {@code candidateNanos} if that is later (a session's extension kept before it shrinks). */
    void raiseDeadline(long candidateNanos) {
        if (state == ACTIVE && candidateNanos - deadlineNanos > 0) {
            deadlineNanos = candidateNanos;
        }
    }

    /** Tells the listeners that a keep-alive of its session, sent at {@code sentNanos}, extended it (counted by the session). */
    void tellRenewed(long sentNanos) {
        if (eventsEnabled) {
            long now = settings.ticker().read();
            events.renewed(now - sentNanos, deadlineNanos() - now);
        }
    }

    private void renewedFor(long sentNanos, long trusted) {
        stats.recordRenewSuccess();
        if (eventsEnabled) {
            long now = settings.ticker().read();
            events.renewed(now - sentNanos, sentNanos + trusted - now);
        }
        long candidate = sentNanos + trusted;
        if (state == ACTIVE && candidate - deadlineNanos > 0) {
            deadlineNanos = candidate;
        }
    }

    /**
     * A refresh failed without a loss: count and log it; declare the loss if the deadline passed.
     *
     * @return the time left before the deadline, in nanoseconds; zero or less when the hold is lost
     */
    long renewFailed(Throwable error) {
        stats.recordRenewFailed();
        long left = deadlineNanos() - settings.ticker().read();
        if (eventsEnabled) {
            events.renewFailed(error, left);
        }
        if (left <= 0) {
            lose(LossReason.DEADLINE_PASSED, error);
            return left;
        }
        // Off the caller, which may be the timer thread (a renewal's watchdog): see lose().
        Scheduling.notifiers().execute(new RenewalFailureLog(settings, TimeUnit.NANOSECONDS.toMillis(left), error));
        return left;
    }

    /** The one transition to LOST: signal, count, notify, and release the lease exactly once. */
    void lose(LossReason reason, Throwable cause) {
        if (!STATE.compareAndSet(this, ACTIVE, reason)) {
            return;
        }
        long now = settings.ticker().read();
        stats.recordLost(now);
        renewal.stop();
        onEnd.accept(this);
        for (Runnable hook : lossHooks) {
            runGuarded(hook, "loss hook");
        }
        Duration heldFor = Duration.ofNanos(Math.max(0, now - acquiredNanos));
        Loss loss = new Loss(String.valueOf(settings.id()), reason, lease.fencingToken(), heldFor, Optional.ofNullable(cause));
        // Tell first, then the work that may be slow on a starved host (finding 9 of
        // docs/reliability.md): completing lost() may start a pool thread for its callers' stages.
        if (eventsEnabled) {
            events.lost(loss);
        }
        lostSignal.complete(null);
        // The log write goes with the listeners, never on the caller: this is usually the timer
        // thread, and a write waiting for a busy disk or for the logger's lock (3.7 s in the long
        // tier) held up every other hold's deadline check behind it.
        Scheduling.notifiers().execute(new Tell<>(this, loss));
        // On its own small pool: after a backend outage these may all block until the driver's
        // timeouts, and must neither add a thread per lock nor hold up other locks' renewals.
        Scheduling.releases().execute(new ReleaseAfterLoss<>(this));
    }

    // The tasks the timer thread hands on are classes, not lambdas, loaded with Hold (below): a
    // lambda is linked where it first runs, and a JVM's first loss linked these on the timer thread,
    // hundreds of ms on a starved host (the long tier's timer stacks in defineHiddenClass).
    static {
        ensureLoaded(Tell.class, ReleaseAfterLoss.class, RenewalFailureLog.class);
    }

    private static void ensureLoaded(Class<?>... classes) {
        for (Class<?> c : classes) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Tells the listeners of a loss, then logs it: off the caller, usually the timer thread. */
    private static final class Tell<ID> implements Runnable {
        private final Hold<ID> hold;
        private final Loss loss;

        Tell(Hold<ID> hold, Loss loss) {
            this.hold = hold;
            this.loss = loss;
        }

        @Override
        public void run() {
            hold.notifyListeners(loss);
            hold.settings.logger().error("lock '{}' lost ({}) after {} ms; fencing token {}{}", hold.settings.id(), loss.reason(),
                    loss.heldFor().toMillis(), loss.fencingToken(), loss.cause().map(c -> ": " + c).orElse(""));
        }
    }

    private static final class ReleaseAfterLoss<ID> implements Runnable {
        private final Hold<ID> hold;

        ReleaseAfterLoss(Hold<ID> hold) {
            this.hold = hold;
        }

        @Override
        public void run() {
            hold.renewal.awaitStopped();
            hold.releaseLease();
        }
    }

    private static final class RenewalFailureLog implements Runnable {
        private final MutexSettings<?> settings;
        private final long leftMillis;
        private final Throwable error;

        RenewalFailureLog(MutexSettings<?> settings, long leftMillis, Throwable error) {
            this.settings = settings;
            this.leftMillis = leftMillis;
            this.error = error;
        }

        @Override
        public void run() {
            settings.logger().warn("renewal of lock '{}' failed; {} ms left before the local deadline: {}", settings.id(), leftMillis, error.toString());
        }
    }

    private void notifyListeners(Loss loss) {
        for (LossListener listener : settings.listeners()) {
            runGuarded(() -> listener.onLost(loss), "onLost listener");
        }
    }

    private void runGuarded(Runnable action, String what) {
        try {
            action.run();
        } catch (RuntimeException | Error e) {
            settings.logger().error("{} of lock '{}' threw; ignored", what, settings.id(), e);
        }
    }

    private void releaseLease() {
        try {
            settings.driver().release(lease);
        } catch (RuntimeException e) {
            settings.logger().warn("release of lock '{}' threw; the lease will expire on its own", settings.id(), e);
        }
    }

    /** How long a hold with {@code ttl} and {@code drift} margin is trusted when the backend keeps it {@code windowNanos}. */
    static long trustedNanos(long ttl, long drift, long windowNanos) {
        return windowNanos - driftNanos(ttl, drift, windowNanos);
    }

    // The smaller of the asked ttl and what the backend guarantees.
    private static long windowNanos(MutexSettings<?> settings, Lease lease) {
        long ttl = settings.ttl().toNanos();
        Duration guaranteed = lease.guaranteedTtl(settings.ttl());
        long backend = guaranteed == null || guaranteed.isNegative() ? 0 : guaranteed.toNanos();
        return Math.min(ttl, backend);
    }

    // The drift margin covers clock rate differences, which grow with the time trusted: over a window
    // shorter than the ttl it shrinks in proportion. (Taken whole, 1% of a ttl of hours exceeded a
    // ZooKeeper session's guarantee, and every acquire was given back at once.)
    private static long driftNanos(long ttl, long drift, long windowNanos) {
        if (windowNanos >= ttl) {
            return drift;
        }
        return (long) Math.ceil(drift * ((double) Math.max(0, windowNanos) / ttl));
    }

    private static LossReason reasonOf(Throwable error) {
        return unwrap(error) instanceof LockLostException lost ? lost.reason() : LossReason.GONE;
    }

    static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof CompletionException || current instanceof CancellationException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
