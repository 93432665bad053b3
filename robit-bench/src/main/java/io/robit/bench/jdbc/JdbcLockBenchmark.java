package io.robit.bench.jdbc;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Robit's {@code JdbcDriver} beside Spring Integration's {@code JdbcLockRegistry} (7.x) on the same
 * PostgreSQL, in the same run: blocking lock + unlock per second.
 *
 * <ul>
 *   <li>{@code uncontended}: one client, its own lock name.
 *   <li>{@code contended}: 4 clients (JMH threads), each a {@link LockClient} with its own pool and
 *       driver/registry, as 4 processes would, on one lock name; each blocks in {@code lock()} until
 *       it gets it. Robit waits with LISTEN/NOTIFY; Spring's registry retries every
 *       {@code idleBetweenTries} (its default, 100 ms). A client that just unlocked often takes the
 *       lock again at once; {@link JdbcContention} also reports how turns were spread.
 * </ul>
 *
 * <p>Needs PostgreSQL (see {@link LockClient}). Run:
 * {@code ./mvnw -q -B -pl robit-bench -am -DskipTests package && java -jar robit-bench/target/benchmarks.jar JdbcLockBenchmark -wi 2 -w 5 -i 3 -r 10 -f 1}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
public class JdbcLockBenchmark {

    /** One client: what one process would have. */
    @State(Scope.Thread)
    public static class Client {
        /** robit: io.robit.jdbc.JdbcDriver; spring: Spring Integration's JdbcLockRegistry. */
        @Param({"robit", "spring"})
        public String impl;

        LockClient client;
        final String ownName = "bench-" + UUID.randomUUID();

        @Setup
        public void setUp() {
            client = new LockClient(impl);
        }

        @TearDown
        public void tearDown() {
            client.close();
        }
    }

    /** One client locking and unlocking its own lock name. */
    @Benchmark
    @Threads(1)
    public long uncontended(Client client) throws InterruptedException {
        return client.client.lockUnlock(client.ownName);
    }

    /** Four clients taking turns on one lock name. */
    @Benchmark
    @Threads(4)
    public long contended(Client client) throws InterruptedException {
        return client.client.lockUnlock("bench-contended-" + client.impl);
    }
}
