package io.robit.zookeeper;

import io.robit.LossReason;
import io.robit.Ticker;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Curator's connection states into the fate of the driver's leases. Thread-safe.
 *
 * <ul>
 *   <li>{@code SUSPENDED}: in doubt. The leases are kept until the last confirmed contact (the
 *       send time of the last write or sync the server answered; reads do not count, a cut-off server answers them) plus two thirds of the negotiated
 *       session timeout less one server tick ({@link #guarantee}), less a small margin: before then ZooKeeper
 *       cannot have expired the session. If the
 *       connection is still down then, they are lost ({@link LossReason#DEADLINE_PASSED}).</li>
 *   <li>{@code LOST}: the session expired (or Curator gave it up): lost at once ({@link LossReason#GONE}).</li>
 *   <li>{@code RECONNECTED} with a different session: the old session's nodes are gone: lost at once.</li>
 * </ul>
 */
final class SessionGuard implements ConnectionStateListener {
    private static final Logger LOG = LoggerFactory.getLogger(SessionGuard.class);

    private final ZooKeeperContext context;
    private final CuratorFramework client;
    private final Ticker ticker;
    private final Duration serverTick;
    private final AtomicLong lastContact;
    private final AtomicBoolean notedLongTtl = new AtomicBoolean();
    // Guards inDoubt; never held across I/O.
    private final ReentrantLock lock = new ReentrantLock();
    private ScheduledFuture<?> inDoubt;

    SessionGuard(ZooKeeperContext context, CuratorFramework client, Ticker ticker, Duration serverTick) {
        this.context = context;
        this.client = client;
        this.ticker = ticker;
        this.serverTick = serverTick;
        this.lastContact = new AtomicLong(ticker.read());
    }

    /** Records that the server answered a request sent at {@code sentNanos}. */
    void noteContact(long sentNanos) {
        lastContact.accumulateAndGet(sentNanos, (a, b) -> b - a > 0 ? b : a);
    }

    /** The send time of the last write or sync the server answered (or of the last (re)connection): the session was alive then. */
    long lastContact() {
        return lastContact.get();
    }

    /** The session timeout the server granted, in milliseconds; 0 before the first connection. */
    int negotiatedSessionTimeoutMs() {
        return client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs();
    }

    /**
     * How long a hold is sure to outlive its last confirmation if the client is cut off; see
     * {@link #guarantee(Duration, Duration)}. Null before the first connection.
     */
    Duration guarantee() {
        int negotiatedMs = negotiatedSessionTimeoutMs();
        return negotiatedMs <= 0 ? null : guarantee(Duration.ofMillis(negotiatedMs), serverTick);
    }

    /**
     * Two thirds of the session timeout less one server tick (the tick taken as at most half the
     * session: ZooKeeper negotiates at least two ticks), counted from the send time of a request
     * the quorum answered. Why not the whole session: a leader does not touch a session when it
     * commits a write a follower forwarded; it hears of the session's activity only in the
     * follower's answers to its pings (every half tick). A follower cut off right after our write
     * committed never reports that write, so the leader counts the session from the last activity
     * it did hear of: the client's own traffic, which is never idle longer than a third of the
     * session (the ZooKeeper client pings then), heard at most half a tick later. The leader keeps
     * the session at least {@code session} past that, so at least {@code 2/3 session − tick/2}
     * past our send; one whole tick is taken for margin.
     */
    static Duration guarantee(Duration session, Duration serverTick) {
        Duration half = session.dividedBy(2);
        return Duration.ofMillis(session.toMillis() * 2 / 3).minus(serverTick.compareTo(half) < 0 ? serverTick : half);
    }

    /**
     * Says once per driver, at INFO, that {@code ttl} is longer than the session timeout: that is
     * allowed (long jobs use long ttls) and safe, but the session, not the ttl, then sets how
     * often the hold is renewed and how soon others may take the lock after a crash.
     */
    void noteIfLongerThanSession(Duration ttl) {
        int negotiatedMs = negotiatedSessionTimeoutMs();
        if (negotiatedMs > 0 && ttl.toMillis() > negotiatedMs && notedLongTtl.compareAndSet(false, true)) {
            LOG.info("ttl {} is longer than the negotiated ZooKeeper session timeout of {} ms: holds are renewed within the session"
                    + " timeout, and if this process dies ZooKeeper frees its locks after the session timeout, not the ttl", ttl, negotiatedMs);
        }
    }

    @Override
    public void stateChanged(CuratorFramework changed, ConnectionState state) {
        switch (state) {
            case SUSPENDED -> startInDoubt();
            case LOST -> {
                cancelInDoubt();
                context.loseAll(LossReason.GONE, "the ZooKeeper session was lost (expired, or not re-established within the session timeout)");
            }
            case CONNECTED, RECONNECTED -> {
                cancelInDoubt();
                noteContact(ticker.read());
                context.loseAllNotOf(context.store().currentSessionId());
            }
            default -> {
            }
        }
        context.wakeWaiters();
    }

    /** Stops the in-doubt timer. */
    void close() {
        cancelInDoubt();
    }

    private void startInDoubt() {
        int negotiatedMs = negotiatedSessionTimeoutMs();
        Duration guaranteed = guarantee();
        if (negotiatedMs <= 0 || guaranteed == null) {
            return;
        }
        long guaranteedNanos = guaranteed.toNanos();
        long margin = Math.min(guaranteedNanos / 10, guaranteedNanos / 100 + TimeUnit.MILLISECONDS.toNanos(2));
        long deadline = lastContact.get() + guaranteedNanos - margin;
        Runnable check = () -> {
            if (!context.isConnected()) {
                context.loseAll(LossReason.DEADLINE_PASSED, "the connection stayed suspended past the negotiated session timeout ("
                        + negotiatedMs + " ms: two thirds of it, less one server tick) since the last confirmed contact; ZooKeeper may have expired the session");
            }
        };
        lock.lock();
        try {
            if (inDoubt != null) {
                inDoubt.cancel(false);
            }
            inDoubt = context.schedule(check, Math.max(0, deadline - ticker.read()), TimeUnit.NANOSECONDS);
        } finally {
            lock.unlock();
        }
    }

    private void cancelInDoubt() {
        lock.lock();
        try {
            if (inDoubt != null) {
                inDoubt.cancel(false);
                inDoubt = null;
            }
        } finally {
            lock.unlock();
        }
    }
}
