package io.robit.faults;

import io.robit.AlreadyReleasedException;
import io.robit.Held;
import io.robit.LockLostException;
import io.robit.LockTimeoutException;
import io.robit.Loss;
import io.robit.Mutex;
import io.robit.MutexListener;
import io.robit.RobitException;
import io.robit.Ticker;
import io.robit.spi.Driver;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One application thread of a worker process: it loops over random lock names of the run, each
 * through its own {@link Mutex} over the process's one shared driver, and uses them the ways
 * applications do: a single {@code tryLock()} attempt, {@code tryLock(Duration)} with a timeout
 * (sometimes interrupted while it waits), {@code lock()} interrupted while it waits, and
 * {@code withLock}. While it holds, it makes 1–3 fenced writes (each after checking it still
 * holds) and holds for a short or a long time (long holds are renewed); sometimes it unlocks with
 * its interrupt flag set. Every belief goes to the history. Confined to its thread.
 */
final class WorkerLoop implements Runnable {
    private final String worker;
    private final History history;
    private final Driver<String> driver;
    private final List<String> names;
    private final Duration ttl;
    private final Duration drift;
    private final Ticker ticker;
    private final Worker.OracleClient oracle;
    private final Random random;
    private final ScheduledExecutorService interrupts;
    private final double pauseProbability;
    private final BooleanSupplier stopping;
    private final int longHoldEvery;
    private final Map<String, Slot> mutexes = new HashMap<>();
    private String thread;

    /** A mutex of this thread and the token of its current hold (set by its listener on this thread). */
    private static final class Slot {
        Mutex<String> mutex;
        volatile long token;
    }

    WorkerLoop(String worker, History history, Driver<String> driver, List<String> names, Duration ttl, Duration drift, Ticker ticker,
               Worker.OracleClient oracle, long seed, ScheduledExecutorService interrupts, double pauseProbability, int longHoldEvery, BooleanSupplier stopping) {
        this.worker = worker;
        this.history = history;
        this.driver = driver;
        this.names = names;
        this.ttl = ttl;
        this.drift = drift;
        this.ticker = ticker;
        this.oracle = oracle;
        this.random = new Random(seed);
        this.interrupts = interrupts;
        this.pauseProbability = pauseProbability;
        this.stopping = stopping;
        this.longHoldEvery = longHoldEvery;
    }

    @Override
    public void run() {
        thread = Thread.currentThread().getName();
        try (oracle) {
            while (!stopping.getAsBoolean()) {
                Thread.interrupted(); // an interrupt that arrived after its wait ended belongs to no one
                try {
                    cycle();
                } catch (InterruptedException e) {
                    history.record("w", worker, "th", thread, "e", "interrupted", "t", System.nanoTime());
                } catch (RuntimeException e) {
                    // Robit's API throws only RobitException subtypes here: anything else is a finding, and the thread goes on.
                    history.record("w", worker, "th", thread, "e", "unexpected", "t", System.nanoTime(), "err", e.toString());
                }
            }
        } catch (IOException e) {
            history.record("w", worker, "th", thread, "e", "oracleLost", "t", System.nanoTime(), "err", e.toString());
        }
    }

    private void cycle() throws IOException, InterruptedException {
        String name = names.get(random.nextInt(names.size()));
        Slot slot = mutexes.computeIfAbsent(name, this::slot);
        int op = random.nextInt(100);
        Duration wait = Duration.ofMillis(random.nextInt((int) (2 * ttl.toMillis()) + 1));
        try {
            if (op < 30) {
                Optional<Held> held = slot.mutex.tryLock();
                if (held.isPresent()) {
                    hold(slot, name, held.get());
                } else {
                    Thread.sleep(5 + random.nextInt(25));
                }
            } else if (op < 55) {
                Optional<Held> held = waiting(name, "tryLock", () -> slot.mutex.tryLock(wait), random.nextInt(8) == 0);
                if (held != null && held.isPresent()) {
                    hold(slot, name, held.get());
                }
            } else if (op < 65) {
                Optional<Held> held = waiting(name, "lock", () -> Optional.of(slot.mutex.lock()), true);
                if (held != null) {
                    hold(slot, name, held.get());
                }
            } else {
                withLock(slot, name, wait);
            }
        } catch (RobitException e) {
            history.record("w", worker, "th", thread, "e", "robitErr", "name", name, "t", System.nanoTime(), "err", e.getClass().getSimpleName());
            Thread.sleep(10 + random.nextInt(50));
        }
    }

    private interface Wait {
        Optional<Held> call() throws InterruptedException;
    }

    /** Runs a waiting acquire; when {@code interrupt}, another thread interrupts this one at a random moment of the wait. */
    private Optional<Held> waiting(String name, String how, Wait wait, boolean interrupt) {
        Interrupter interrupter = new Interrupter(Thread.currentThread());
        if (interrupt) {
            interrupts.schedule(interrupter::fire, random.nextInt((int) ttl.toMillis() + 1), TimeUnit.MILLISECONDS);
        }
        long from = System.nanoTime();
        try {
            return wait.call();
        } catch (InterruptedException e) {
            history.record("w", worker, "th", thread, "e", "waitInterrupted", "name", name, "how", how, "t", System.nanoTime());
            return null;
        } finally {
            interrupter.disarm();
            waited(name, from);
        }
    }

    private void hold(Slot slot, String name, Held held) throws IOException, InterruptedException {
        long token = held.fencingToken();
        // When the core declared the loss, read on the declaring thread before it logs and tells the
        // listeners (a diagnostic peek at the core's Hold: the history gets it with the unlock). Not
        // when the hold was lost before this thread got it: the hook then runs here, at once.
        AtomicLong declared = new AtomicLong();
        boolean watched = held instanceof io.robit.internal.Hold<?>;
        if (held instanceof io.robit.internal.Hold<?> core) {
            AtomicBoolean registered = new AtomicBoolean();
            core.addLossHook(() -> {
                if (registered.get()) {
                    declared.compareAndSet(0, System.nanoTime());
                }
            });
            registered.set(true);
            watched = declared.get() == 0 && !core.isLost();
        }
        history.record("w", worker, "th", thread, "e", "held", "name", name, "t", System.nanoTime(), "token", token);
        writes(name, token, () -> !held.isLost());
        long millis = holdMillis();
        try {
            held.lost().get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException expected) {
            // held the whole time
        } catch (ExecutionException lostWithReason) {
            // lost; the listener recorded it
        }
        boolean interrupted = random.nextInt(10) == 0;
        // The loss hooks run just after the state changes: give them a moment (bounded) to say when.
        for (int i = 0; i < 200 && watched && declared.get() == 0 && held.isLost(); i++) {
            Thread.sleep(1);
        }
        history.record("w", worker, "th", thread, "e", "unlock", "name", name, "t", System.nanoTime(), "token", token, "interrupted", interrupted,
                "declared", declared.get());
        if (interrupted) {
            Thread.currentThread().interrupt(); // as after catch (InterruptedException e) { interrupt(); } in a try-with-resources
        }
        try {
            slot.mutex.unlock();
            history.record("w", worker, "th", thread, "e", "unlocked", "name", name, "t", System.nanoTime(), "token", token);
        } catch (AlreadyReleasedException e) {
            history.record("w", worker, "th", thread, "e", "unlockLost", "name", name, "t", System.nanoTime(), "token", token);
        } finally {
            if (interrupted && !Thread.interrupted()) {
                history.record("w", worker, "th", thread, "e", "interruptFlagCleared", "name", name, "t", System.nanoTime(), "token", token);
            }
        }
    }

    /** Records how long this thread waited for {@code name}: the checkers measure takeovers only where someone waited. */
    private void waited(String name, long from) {
        history.record("w", worker, "th", thread, "e", "waited", "name", name, "from", from, "t", System.nanoTime());
    }

    private void withLock(Slot slot, String name, Duration wait) throws IOException, InterruptedException {
        long from = System.nanoTime();
        boolean[] entered = new boolean[1];
        try {
            slot.mutex.withLock(wait, () -> {
                entered[0] = true;
                waited(name, from);
                long token = slot.token;
                history.record("w", worker, "th", thread, "e", "held", "name", name, "t", System.nanoTime(), "token", token);
                try {
                    writes(name, token, slot.mutex::isHeld);
                    Thread.sleep(holdMillis()); // withLock interrupts it on loss
                } finally {
                    history.record("w", worker, "th", thread, "e", "unlock", "name", name, "t", System.nanoTime(), "token", token, "interrupted", false);
                }
                return null;
            });
        } catch (LockTimeoutException | LockLostException expected) {
            // timed out waiting, or lost while working (the listener recorded it)
            if (!entered[0]) {
                waited(name, from);
            }
        } catch (RobitException | InterruptedException | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void writes(String name, long token, BooleanSupplier stillHeld) throws IOException {
        int n = 1 + random.nextInt(3);
        boolean pause = random.nextDouble() < pauseProbability;
        String who = worker + "/" + thread;
        for (int i = 0; i < n && stillHeld.getAsBoolean(); i++) {
            if (pause && i == 0) {
                // The classic hazard: checked, then frozen, then the write goes out.
                long millis = (long) ((0.5 + random.nextDouble() * 1.5) * ttl.toMillis());
                history.record("w", worker, "th", thread, "e", "gcPause", "name", name, "t", System.nanoTime(), "token", token, "ms", millis);
                oracle.pauseMe(worker, millis);
            }
            long sent = System.nanoTime();
            boolean accepted = oracle.write('F', who, name, token);
            long answered = System.nanoTime();
            oracle.write('U', who, name, token);
            history.record("w", worker, "th", thread, "e", "write", "name", name, "sent", sent, "t", answered, "token", token, "accepted", accepted);
        }
    }

    // Most holds are short, as most critical sections are; one in longHoldEvery is long enough to be renewed.
    private long holdMillis() {
        return random.nextInt(longHoldEvery) == 0 ? ttl.toMillis() / 3 + random.nextInt((int) (ttl.toMillis() * 7 / 6) + 1)
                : random.nextInt((int) Math.max(1, ttl.toMillis() / 50));
    }

    private Slot slot(String name) {
        Slot slot = new Slot();
        slot.mutex = Mutex.builder(name, ttl, driver).driftMargin(drift).ticker(ticker).listener(new MutexListener() {
            @Override
            public void acquired(Mutex<?> m, long fencingToken, Duration waited) {
                slot.token = fencingToken;
            }

            @Override
            public void lost(Mutex<?> m, Loss loss) {
                history.record("w", worker, "e", "lost", "name", name, "t", System.nanoTime(), "token", loss.fencingToken(), "reason", loss.reason());
            }
        }).build();
        return slot;
    }

    /** Interrupts the waiting thread only while armed, and clears its own interrupt when disarmed after firing. */
    private static final class Interrupter {
        private final Thread target;
        private final ReentrantLock lock = new ReentrantLock();
        private boolean armed = true;
        private boolean fired;

        Interrupter(Thread target) {
            this.target = target;
        }

        void fire() {
            lock.lock();
            try {
                if (armed) {
                    fired = true;
                    target.interrupt();
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
                    Thread.interrupted();
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
