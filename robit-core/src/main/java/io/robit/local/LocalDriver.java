package io.robit.local;

import io.robit.LockLostException;
import io.robit.LossReason;
import io.robit.Ticker;
import io.robit.internal.Scheduling;
import io.robit.spi.AsyncLease;
import io.robit.spi.Driver;
import io.robit.spi.Inspectable;
import io.robit.spi.Lease;
import io.robit.spi.LockInfo;
import io.robit.spi.support.Arguments;
import io.robit.spi.support.BaseLease;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory backend: every {@link io.robit.Mutex} over one {@code LocalDriver} behaves like a
 * separate process sharing one lock server. Leases expire by the driver's {@link Ticker}; tokens
 * grow per lock name for the driver's lifetime; {@link #revoke} breaks a lease behind its holder's
 * back. For tests and for coordination within one JVM only.
 *
 * <p>Thread-safe. Never blocks while holding its internal lock.
 *
 * @param <ID> the type of lock names
 */
public final class LocalDriver<ID> implements Driver<ID>, Inspectable<ID> {
    private static final Map<String, LocalDriver<String>> SHARED = new ConcurrentHashMap<>();

    private final Ticker ticker;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<ID, LocalLease> holders = new HashMap<>();
    private final Map<ID, Long> tokens = new HashMap<>();
    private final Map<ID, List<CompletableFuture<Void>>> asyncWaiters = new HashMap<>();

    private LocalDriver(Ticker ticker) {
        this.ticker = ticker;
    }

    /**
     * A new, empty in-memory backend on the system ticker.
     *
     * @param <ID> the type of lock names
     * @return the driver
     */
    public static <ID> LocalDriver<ID> create() {
        return new LocalDriver<>(Ticker.system());
    }

    /**
     * A new, empty in-memory backend whose leases expire by {@code ticker}.
     *
     * @param <ID> the type of lock names
     * @param ticker the clock leases expire by
     * @return the driver
     */
    public static <ID> LocalDriver<ID> create(Ticker ticker) {
        return new LocalDriver<>(Objects.requireNonNull(ticker, "ticker must not be null"));
    }

    /**
     * The JVM-wide backend named {@code name} (what {@code Drivers.open("local:" + name)} returns).
     *
     * @param name the backend's name; empty for the one {@code local:} opens
     * @return the shared driver of that name, created on first use
     */
    public static LocalDriver<String> shared(String name) {
        Objects.requireNonNull(name, "name must not be null");
        return SHARED.computeIfAbsent(name, n -> create());
    }

    @Override
    public Optional<Lease> acquire(ID id, Duration ttl, Duration timeout) {
        validate(id);
        long ttlNanos = checkTtl(ttl);
        lock.lock();
        try {
            long now = ticker.read();
            expireIfDue(id, now);
            if (holders.containsKey(id)) {
                return Optional.empty();
            }
            long token = tokens.merge(id, 1L, Long::sum);
            LocalLease lease = new LocalLease(id, token, now + ttlNanos);
            holders.put(id, lease);
            lease.scheduleExpiryCheck(ttlNanos);
            return Optional.of(lease);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release(Lease lease) {
        if (!(lease instanceof LocalDriver<?>.LocalLease local) || local.owner() != this || !local.beginRelease()) {
            return;
        }
        lock.lock();
        try {
            // Only our own, still-current lease is removed: a stale release never frees a newer holder.
            if (holders.get(local.id) == local) {
                holders.remove(local.id);
                wakeAny(local.id);
            }
            local.cancelExpiryCheck();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void awaitRelease(ID id, Duration maxWait) throws InterruptedException {
        long maxNanos = maxWait.toNanos();
        if (maxNanos <= 0) {
            return;
        }
        lock.lock();
        try {
            long now = ticker.read();
            expireIfDue(id, now);
            LocalLease holder = holders.get(id);
            if (holder == null) {
                return;
            }
            // Wake on any release or expiry, or when this holder's lease runs out.
            changed.awaitNanos(Math.max(1, Math.min(maxNanos, holder.expiresAt - now)));
        } finally {
            lock.unlock();
        }
    }

    /** Parks no thread: the future completes on release or expiry of {@code id}, or after {@code maxWait}. */
    @Override
    public CompletableFuture<Void> awaitReleaseAsync(ID id, Duration maxWait) {
        long maxNanos = maxWait.toNanos();
        if (maxNanos <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> woken = new CompletableFuture<>();
        lock.lock();
        try {
            long now = ticker.read();
            expireIfDue(id, now);
            LocalLease holder = holders.get(id);
            if (holder == null) {
                return CompletableFuture.completedFuture(null);
            }
            asyncWaiters.computeIfAbsent(id, k -> new ArrayList<>()).add(woken);
            ScheduledFuture<?> timeout = Scheduling.timer().schedule(() -> woken.complete(null),
                    Math.max(1, Math.min(maxNanos, holder.expiresAt - now)), TimeUnit.NANOSECONDS);
            woken.whenComplete((ignored, error) -> {
                timeout.cancel(false);
                forget(id, woken);
            });
        } finally {
            lock.unlock();
        }
        return woken;
    }

    private void forget(ID id, CompletableFuture<Void> waiter) {
        lock.lock();
        try {
            List<CompletableFuture<Void>> waiters = asyncWaiters.get(id);
            if (waiters != null && waiters.remove(waiter) && waiters.isEmpty()) {
                asyncWaiters.remove(id);
            }
        } finally {
            lock.unlock();
        }
    }

    // Caller holds `lock`; the id of a lease this driver issued, typed by the wildcard.
    private void wakeAny(Object id) {
        changed.signalAll();
        List<CompletableFuture<Void>> waiters = asyncWaiters.remove(id);
        if (waiters != null) {
            Scheduling.workers().execute(() -> waiters.forEach(w -> w.complete(null)));
        }
    }

    // Caller holds `lock`. Wakes blocking and asynchronous waiters; the latter complete on a worker.
    private void wake(ID id) {
        wakeAny(id);
    }

    @Override
    public void validate(ID id) {
        Objects.requireNonNull(id, "lock id must not be null");
        if (id instanceof CharSequence name && name.length() == 0) {
            throw new IllegalArgumentException("lock id must not be empty");
        }
    }

    /**
     * Breaks the current lease on {@code id} behind its holder's back, as an operator deleting the
     * lock would: the lock is free at once and the holder's {@link Lease#lost()} completes.
     *
     * @return whether there was a lease to break
     * @param id the lock name
     */
    public boolean revoke(ID id) {
        LocalLease victim;
        lock.lock();
        try {
            victim = holders.remove(id);
            if (victim != null) {
                wake(id);
            }
        } finally {
            lock.unlock();
        }
        if (victim != null) {
            victim.markLost(LossReason.GONE, "revoked");
        }
        return victim != null;
    }

    /**
     * Whether someone holds an unexpired lease on {@code id} now.
     *
     * @param id the lock name
     * @return whether someone holds an unexpired lease on {@code id} now
     */
    public boolean isLocked(ID id) {
        lock.lock();
        try {
            expireIfDue(id, ticker.read());
            return holders.containsKey(id);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<LockInfo> inspect(ID id) {
        Objects.requireNonNull(id, "lock id must not be null");
        lock.lock();
        try {
            long now = ticker.read();
            expireIfDue(id, now);
            return infoOf(id, now);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<LockInfo> list() {
        lock.lock();
        try {
            long now = ticker.read();
            List<LockInfo> all = new ArrayList<>();
            for (ID id : List.copyOf(tokens.keySet())) {
                expireIfDue(id, now);
                infoOf(id, now).ifPresent(all::add);
            }
            all.sort(Comparator.comparing(LockInfo::name));
            return all;
        } finally {
            lock.unlock();
        }
    }

    // Caller holds `lock`.
    private Optional<LockInfo> infoOf(ID id, long now) {
        Long token = tokens.get(id);
        if (token == null) {
            return Optional.empty();
        }
        LocalLease holder = holders.get(id);
        if (holder == null) {
            return Optional.of(new LockInfo(String.valueOf(id), Optional.empty(), token, Optional.empty(), Optional.empty()));
        }
        return Optional.of(new LockInfo(String.valueOf(id), Optional.of("local lease " + holder.token), holder.token,
                Optional.of(holder.acquiredAt), Optional.of(Duration.ofNanos(Math.max(0, holder.expiresAt - now)))));
    }

    // Caller holds `lock`.
    private void expireIfDue(ID id, long now) {
        LocalLease holder = holders.get(id);
        if (holder != null && now - holder.expiresAt >= 0) {
            holders.remove(id);
            wake(id);
            // Completing futures runs callbacks; do it off this lock.
            Scheduling.workers().execute(() -> holder.markLost(LossReason.EXPIRED, "lease expired"));
        }
    }

    private static long checkTtl(Duration ttl) {
        return Arguments.positive("ttl", ttl).toNanos();
    }

    // The kit's base keeps the token, the lost future and the once-only release/loss transition.
    private final class LocalLease extends BaseLease implements AsyncLease {
        private final ID id;
        private final long token;
        private final Instant acquiredAt = Instant.now();
        private long expiresAt; // guarded by the driver's lock
        private ScheduledFuture<?> expiryCheck; // guarded by the driver's lock

        LocalLease(ID id, long token, long expiresAt) {
            super(id, token);
            this.id = id;
            this.token = token;
            this.expiresAt = expiresAt;
        }

        LocalDriver<ID> owner() {
            return LocalDriver.this;
        }

        @Override
        public void refresh(Duration ttl, Duration timeout) {
            long ttlNanos = checkTtl(ttl);
            lock.lock();
            try {
                long now = ticker.read();
                expireIfDue(id, now);
                LocalLease current = holders.get(id);
                if (current == this) {
                    expiresAt = now + ttlNanos;
                    return;
                }
            } finally {
                lock.unlock();
            }
            LockLostException gone = lostException();
            signalLost(gone); // refresh throws and lost() completes with the same exception, once
            throw gone;
        }

        // Never blocks (the driver's lock is only held for a map lookup), so it completes inline.
        @Override
        public CompletableFuture<Void> refreshAsync(Duration ttl, Duration timeout) {
            try {
                refresh(ttl, timeout);
                return CompletableFuture.completedFuture(null);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        private LockLostException lostException() {
            lock.lock();
            try {
                LocalLease current = holders.get(id);
                if (current != null && current != this) {
                    return new LockLostException(id, LossReason.TAKEN_OVER, "held by another lease (token " + current.token + ")");
                }
            } finally {
                lock.unlock();
            }
            return new LockLostException(id, LossReason.EXPIRED, "lease expired or was revoked");
        }

        void markLost(LossReason reason, String detail) {
            lose(reason, detail);
        }

        // Caller holds the driver's lock.
        void scheduleExpiryCheck(long delayNanos) {
            expiryCheck = Scheduling.timer().schedule(this::checkExpiry, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        }

        // Caller holds the driver's lock.
        void cancelExpiryCheck() {
            if (expiryCheck != null) {
                expiryCheck.cancel(false);
                expiryCheck = null;
            }
        }

        // Runs on the timer thread: notices expiry without waiting for the next call.
        private void checkExpiry() {
            lock.lock();
            try {
                if (holders.get(id) != this) {
                    return;
                }
                long now = ticker.read();
                expireIfDue(id, now);
                if (holders.get(id) != this) {
                    return;
                }
                scheduleExpiryCheck(expiresAt - now);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public String toString() {
            return "LocalLease[" + id + ", token " + token + "]";
        }
    }
}
