package io.robit.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.robit.AcquireOutcome;
import io.robit.ElectionListener;
import io.robit.LeaderElection;
import io.robit.Loss;
import io.robit.Mutex;
import io.robit.MutexListener;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Micrometer meters for Robit mutexes. Bind it to a registry, then give it to each mutex as a
 * listener:
 *
 * <pre>{@code
 * RobitMetrics metrics = RobitMetrics.builder().build();
 * metrics.bindTo(registry);
 * Mutex<String> m = Mutex.builder("orders", ttl, driver).listener(metrics).build();
 * }</pre>
 *
 * <p>Meters (names with the default prefix {@code robit}; every meter is tagged {@code lock} and
 * {@code backend}):
 * <ul>
 * <li>{@code robit.acquire} timer: time spent in lock calls, tagged {@code outcome} = acquired,
 *     busy, timeout, error, interrupted; its count is acquisitions by outcome; percentile histogram on</li>
 * <li>{@code robit.hold} timer: how long holds lasted, tagged {@code end} = released, lost</li>
 * <li>{@code robit.renew} timer: latency of successful renewals</li>
 * <li>{@code robit.renew.failed} counter: renewals that failed or timed out</li>
 * <li>{@code robit.lost} counter: holds lost, tagged {@code reason} = expired, taken_over, gone, deadline_passed</li>
 * <li>{@code robit.held} gauge: how many mutexes with this lock tag hold their lock now</li>
 * <li>{@code robit.lease.remaining} gauge, seconds: time left before the local deadline of the
 *     most recently acquired or renewed hold with this lock tag; 0 when none is held</li>
 * </ul>
 * Given to a {@link LeaderElection} as well ({@code LeaderElection.builder(...).listener((ElectionListener) metrics)}),
 * it adds:
 * <ul>
 * <li>{@code robit.leader.elections} counter: terms won by this process</li>
 * <li>{@code robit.leader.term} gauge: the latest term won by this process (its fencing token)</li>
 * <li>{@code robit.leader.leading} gauge: how many candidates with this lock tag lead now</li>
 * <li>{@code robit.leader.tenure} timer: how long terms lasted, tagged {@code end} = resigned, revoked</li>
 * <li>{@code robit.leader.revoked} counter: terms lost, tagged {@code reason} as {@code robit.lost}</li>
 * </ul>
 * The {@code lock} tag is the lock name by default; pass {@link Builder#lockTag} to cap cardinality
 * (e.g. map {@code order-1234} to {@code order}). Thread-safe.
 */
public final class RobitMetrics implements MutexListener, ElectionListener, MeterBinder {
    private final String prefix;
    private final Function<String, String> lockTag;
    private final Tags extraTags;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    private RobitMetrics(Builder builder) {
        this.prefix = builder.prefix;
        this.lockTag = builder.lockTag;
        this.extraTags = builder.tags;
    }

    /** Starts configuring meters. */
    public static Builder builder() {
        return new Builder();
    }

    /** Meters with default names and tags, bound to {@code registry}. */
    public static RobitMetrics bindTo(MeterRegistry registry, Tags tags) {
        RobitMetrics metrics = builder().tags(tags).build();
        metrics.bindTo(registry);
        return metrics;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
    }

    @Override
    public void acquired(Mutex<?> mutex, long fencingToken, Duration waited) {
        Group g = group(mutex);
        if (g != null) {
            g.acquire("acquired").record(waited);
            g.held.incrementAndGet();
            g.deadline.set(System.nanoTime() + mutex.ttl().toNanos());
        }
    }

    @Override
    public void acquireFailed(Mutex<?> mutex, AcquireOutcome outcome, Duration waited, Throwable error) {
        Group g = group(mutex);
        if (g != null) {
            g.acquire(outcome.name().toLowerCase(Locale.ROOT)).record(waited);
        }
    }

    @Override
    public void renewed(Mutex<?> mutex, Duration latency, Duration untilDeadline) {
        Group g = group(mutex);
        if (g != null) {
            g.renew.record(latency);
            g.deadline.set(System.nanoTime() + untilDeadline.toNanos());
        }
    }

    @Override
    public void renewFailed(Mutex<?> mutex, Throwable error, Duration untilDeadline) {
        Group g = group(mutex);
        if (g != null) {
            g.renewFailed.increment();
        }
    }

    @Override
    public void released(Mutex<?> mutex, Duration heldFor) {
        Group g = group(mutex);
        if (g != null) {
            g.hold("released").record(heldFor);
            g.held.decrementAndGet();
        }
    }

    @Override
    public void lost(Mutex<?> mutex, Loss loss) {
        Group g = group(mutex);
        if (g != null) {
            g.hold("lost").record(loss.heldFor());
            g.lost(loss.reason().name().toLowerCase(Locale.ROOT)).increment();
            g.held.decrementAndGet();
        }
    }

    @Override
    public void elected(LeaderElection<?> election, long term) {
        Group g = group(election.mutex());
        if (g != null) {
            g.leader().elections.increment();
            g.leader().term.set(term);
            g.leader().leading.incrementAndGet();
        }
    }

    @Override
    public void revoked(LeaderElection<?> election, long term, Duration heldFor, Loss loss) {
        Group g = group(election.mutex());
        if (g != null) {
            g.leader().tenure("revoked").record(heldFor);
            g.leader().revoked(loss.reason().name().toLowerCase(Locale.ROOT)).increment();
            g.leader().leading.decrementAndGet();
        }
    }

    @Override
    public void resigned(LeaderElection<?> election, long term, Duration heldFor) {
        Group g = group(election.mutex());
        if (g != null) {
            g.leader().tenure("resigned").record(heldFor);
            g.leader().leading.decrementAndGet();
        }
    }

    private Group group(Mutex<?> mutex) {
        MeterRegistry target = registry;
        if (target == null) {
            return null;
        }
        String lock = Objects.requireNonNullElse(lockTag.apply(String.valueOf(mutex.id())), "other");
        String backend = backendName(mutex);
        return groups.computeIfAbsent(lock + '\u0000' + backend, k -> new Group(target, Tags.of("lock", lock, "backend", backend).and(extraTags)));
    }

    private static String backendName(Mutex<?> mutex) {
        String name = mutex.driver().getClass().getSimpleName();
        if (name.endsWith("Driver") && name.length() > "Driver".length()) {
            name = name.substring(0, name.length() - "Driver".length());
        }
        return name.isEmpty() ? "custom" : name.toLowerCase(Locale.ROOT);
    }

    /** The meters of one (lock tag, backend) pair. */
    private final class Group {
        final MeterRegistry registry;
        final Tags tags;
        final AtomicInteger held = new AtomicInteger();
        final AtomicLong deadline = new AtomicLong(System.nanoTime());
        final Timer renew;
        final Counter renewFailed;
        final Map<String, Timer> acquires = new ConcurrentHashMap<>();
        final Map<String, Timer> holds = new ConcurrentHashMap<>();
        final Map<String, Counter> losses = new ConcurrentHashMap<>();

        Group(MeterRegistry registry, Tags tags) {
            this.registry = registry;
            this.tags = tags;
            renew = Timer.builder(prefix + ".renew").description("Latency of successful lease renewals").tags(tags).register(registry);
            renewFailed = Counter.builder(prefix + ".renew.failed").description("Lease renewals that failed or timed out").tags(tags).register(registry);
            Gauge.builder(prefix + ".held", held, AtomicInteger::get).description("Mutexes holding their lock now").tags(tags).register(registry);
            Gauge.builder(prefix + ".lease.remaining", this, Group::remainingSeconds).description("Seconds left before the local deadline of the latest hold")
                    .baseUnit("seconds").tags(tags).register(registry);
        }

        Timer acquire(String outcome) {
            return acquires.computeIfAbsent(outcome, o -> Timer.builder(prefix + ".acquire").description("Time spent in lock calls, by outcome")
                    .tags(tags).tag("outcome", o).publishPercentileHistogram().register(registry));
        }

        Timer hold(String end) {
            return holds.computeIfAbsent(end, e -> Timer.builder(prefix + ".hold").description("How long holds lasted, by how they ended")
                    .tags(tags).tag("end", e).publishPercentileHistogram().register(registry));
        }

        Counter lost(String reason) {
            return losses.computeIfAbsent(reason, r -> Counter.builder(prefix + ".lost").description("Holds lost, by reason")
                    .tags(tags).tag("reason", r).register(registry));
        }

        private final java.util.concurrent.locks.ReentrantLock leaderLock = new java.util.concurrent.locks.ReentrantLock();
        private volatile LeaderMeters leader;

        /** Registered on first use, so plain mutexes get no leader meters. */
        LeaderMeters leader() {
            LeaderMeters meters = leader;
            if (meters == null) {
                leaderLock.lock();
                try {
                    meters = leader;
                    if (meters == null) {
                        meters = new LeaderMeters(registry, tags);
                        leader = meters;
                    }
                } finally {
                    leaderLock.unlock();
                }
            }
            return meters;
        }

        double remainingSeconds() {
            if (held.get() <= 0) {
                return 0;
            }
            long left = deadline.get() - System.nanoTime();
            return left <= 0 ? 0 : left / (double) TimeUnit.SECONDS.toNanos(1);
        }
    }

    /** The leader-election meters of one (lock tag, backend) pair, registered on first use. */
    private final class LeaderMeters {
        final MeterRegistry registry;
        final Tags tags;
        final Counter elections;
        final AtomicLong term = new AtomicLong();
        final AtomicInteger leading = new AtomicInteger();
        final Map<String, Timer> tenures = new ConcurrentHashMap<>();
        final Map<String, Counter> revocations = new ConcurrentHashMap<>();

        LeaderMeters(MeterRegistry registry, Tags tags) {
            this.registry = registry;
            this.tags = tags;
            elections = Counter.builder(prefix + ".leader.elections").description("Terms of leadership won by this process").tags(tags).register(registry);
            Gauge.builder(prefix + ".leader.term", term, AtomicLong::get).description("The latest term won by this process").tags(tags).register(registry);
            Gauge.builder(prefix + ".leader.leading", leading, AtomicInteger::get).description("Candidates leading now").tags(tags).register(registry);
        }

        Timer tenure(String end) {
            return tenures.computeIfAbsent(end, e -> Timer.builder(prefix + ".leader.tenure").description("How long terms lasted, by how they ended")
                    .tags(tags).tag("end", e).register(registry));
        }

        Counter revoked(String reason) {
            return revocations.computeIfAbsent(reason, r -> Counter.builder(prefix + ".leader.revoked").description("Terms lost, by reason")
                    .tags(tags).tag("reason", r).register(registry));
        }
    }

    /** Configures {@link RobitMetrics}. Not thread-safe. */
    public static final class Builder {
        private String prefix = "robit";
        private Function<String, String> lockTag = Function.identity();
        private Tags tags = Tags.empty();

        private Builder() {
        }

        /** The first part of every meter name; default {@code robit}. */
        public Builder prefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix must not be null");
            if (prefix.isBlank()) {
                throw new IllegalArgumentException("prefix must not be blank");
            }
            this.prefix = prefix;
            return this;
        }

        /**
         * Maps a lock name to the value of the {@code lock} tag, to cap cardinality; default the
         * name itself. A null result becomes {@code other}.
         */
        public Builder lockTag(Function<String, String> lockTag) {
            this.lockTag = Objects.requireNonNull(lockTag, "lockTag must not be null");
            return this;
        }

        /** Extra tags on every meter, e.g. the application name. */
        public Builder tags(Tags tags) {
            this.tags = Objects.requireNonNull(tags, "tags must not be null");
            return this;
        }

        /** The metrics; call {@link RobitMetrics#bindTo(MeterRegistry)} before use. */
        public RobitMetrics build() {
            return new RobitMetrics(this);
        }
    }
}
