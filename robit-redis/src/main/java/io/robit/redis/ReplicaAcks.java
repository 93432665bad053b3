package io.robit.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a lock write (a grant or a renewal) is trusted: only once {@code WAIT} says enough
 * replicas have it, so that a failover to a replica cannot forget a lock its holder believes held.
 * With a fixed count, always that many; with 0, never. In automatic mode, one replica must
 * acknowledge once the deployment is known to be replicated: on a Cluster whose topology lists
 * replicas, or from the first master whose {@code INFO replication} (per master, cached for
 * {@link #REFRESH}) lists an online replica or an active replication backlog (Redis keeps one for
 * {@code repl-backlog-ttl}, an hour by default, after its last replica left) — and from then on, on
 * every master, for good. A master deposed by a failover has lost its replica and lists none, yet
 * it still takes writes until it learns it was deposed, and a grant it makes then is forgotten when
 * it is demoted; trusting "no replicas" there let the promoted replica grant a held lock a second
 * time (the cluster tier's Sentinel and Cluster runs). The backlog tells such a master apart for a
 * driver that never wrote before the failover; the sticky knowledge covers the rest. One instance
 * per driver ({@link #forDriver}). Thread-safe.
 */
final class ReplicaAcks {
    /** How long WAIT may block unless set. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    /** How long a master's replica count is trusted before it is read again. */
    static final Duration REFRESH = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaAcks.class);
    private static final Pattern ONLINE_REPLICA = Pattern.compile("(?m)^slave\\d+:.*state=online");
    private static final Pattern BACKLOG_ACTIVE = Pattern.compile("(?m)^repl_backlog_active:1\\s*$");

    private final boolean automatic;
    private final int fixed;
    private final Duration timeout;
    private final ConcurrentHashMap<String, Known> known = new ConcurrentHashMap<>();
    private volatile boolean replicated;
    private volatile boolean warnedNoInfo;

    private ReplicaAcks(boolean automatic, int fixed, Duration timeout) {
        this.automatic = automatic;
        this.fixed = fixed;
        this.timeout = timeout;
    }

    /** One replica whenever the master has online replicas. */
    static ReplicaAcks automatic(Duration timeout) {
        return new ReplicaAcks(true, 0, checkTimeout(timeout));
    }

    /** Always {@code replicas} (0: never wait). */
    static ReplicaAcks fixed(int replicas, Duration timeout) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        return new ReplicaAcks(false, replicas, replicas == 0 ? timeout : checkTimeout(timeout));
    }

    private static Duration checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("WAIT timeout must be positive and at most 1 min, got " + timeout);
        }
        return timeout;
    }

    /** This check for one driver, with nothing learned yet. */
    ReplicaAcks forDriver() {
        return new ReplicaAcks(automatic, fixed, timeout);
    }

    /** Whether any write may need a WAIT. */
    boolean enabled() {
        return automatic || fixed > 0;
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * Whether a write to {@code key} surely needs no WAIT now, from what is known without asking:
     * in automatic mode, the master's replica count read less than {@link #REFRESH} ago was 0.
     * Lets a caller skip {@link #confirm} without a round of futures; false when unsure.
     *
     * @param commands the connection the write went on, or null if not known
     */
    boolean knownUnneeded(Commands commands, String key) {
        if (!enabled()) {
            return true;
        }
        if (!automatic || commands == null || replicated) {
            return false;
        }
        Known cached = known.get(commands.masterOf(key));
        return cached != null && cached.required == 0 && System.nanoTime() - cached.readAtNanos < REFRESH.toNanos();
    }

    /**
     * Completes when enough replicas acknowledged every write sent so far on the connection that
     * wrote {@code key}; fails with {@link RedisCommandTimeoutException} when they did not within the
     * timeout. Must be sent after the write's answer, on the same {@code commands}.
     */
    CompletionStage<Void> confirm(Commands commands, String key) {
        return required(commands, key).thenCompose(replicas -> {
            if (replicas == 0) {
                return CompletableFuture.completedFuture(null);
            }
            return commands.waitForReplicas(key, replicas, Math.max(1, timeout.toMillis())).thenCompose(acknowledged -> {
                if (acknowledged >= replicas) {
                    return CompletableFuture.<Void>completedFuture(null);
                }
                // A failover or a lost replica may have changed the count: read it again next time.
                known.remove(commands.masterOf(key));
                return CompletableFuture.<Void>failedFuture(new RedisCommandTimeoutException("only " + acknowledged + " of " + replicas
                        + " replicas acknowledged the lock within " + timeout + " (WAIT " + replicas + " " + timeout.toMillis()
                        + "); not trusted, since a failover could forget it. waitForReplicas=0 turns this check off"));
            });
        });
    }

    private CompletionStage<Integer> required(Commands commands, String key) {
        if (!automatic) {
            return CompletableFuture.completedFuture(fixed);
        }
        if (replicated || commands.topologyHasReplicas()) {
            replicated = true;
            return CompletableFuture.completedFuture(1);
        }
        String master = commands.masterOf(key);
        Known cached = known.get(master);
        long now = System.nanoTime();
        if (cached != null && now - cached.readAtNanos < REFRESH.toNanos()) {
            return CompletableFuture.completedFuture(cached.required);
        }
        return commands.replicationInfo(key).handle((info, error) -> {
            int required;
            if (error == null) {
                required = requiredAfter(info);
            } else if (RedisStore.unwrap(error) instanceof RedisCommandExecutionException denied) {
                // INFO refused (an ACL without +info): nothing to learn the replicas from.
                if (!warnedNoInfo) {
                    warnedNoInfo = true;
                    LOG.warn("{}: INFO replication refused ({}); lock writes are not checked with WAIT. "
                            + "Allow INFO, or set waitForReplicas explicitly", master, denied.getMessage());
                }
                required = 0;
            } else {
                throw new CompletionException(RedisStore.unwrap(error));
            }
            known.put(master, new Known(required, now));
            return required;
        });
    }

    /**
     * In automatic mode, how many replicas must acknowledge a write to a master whose {@code INFO
     * replication} is {@code info}: 1 once this or any earlier master listed an online replica or
     * an active replication backlog.
     */
    int requiredAfter(String info) {
        if (onlineReplicas(info) > 0 || BACKLOG_ACTIVE.matcher(info).find()) {
            replicated = true;
        }
        return replicated ? 1 : 0;
    }

    /** Replicas the master lists as online in {@code INFO replication}. */
    static int onlineReplicas(String info) {
        Matcher matcher = ONLINE_REPLICA.matcher(info);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    @Override
    public String toString() {
        return automatic ? "WAIT 1 " + timeout.toMillis() + " once the deployment has replicas"
                : fixed == 0 ? "no WAIT" : "WAIT " + fixed + " " + timeout.toMillis();
    }

    private record Known(int required, long readAtNanos) {
    }
}
