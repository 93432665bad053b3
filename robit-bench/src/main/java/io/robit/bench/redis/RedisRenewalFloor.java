package io.robit.bench.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.robit.redis.FloorScripts;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The floor under the client CPU of holding many Redis locks with a Lettuce client: no lock library,
 * only what any renewal that checks the owner of each key must send. {@code LOCKS} keys are set with
 * an owner and a 3 s expiry; once a second one thread sends the same owner-checked renewal script
 * Robit uses, as many keys and their owners per call as the driver puts in one (256), every key and argument encoded once
 * beforehand (as Robit does), and waits for the answers. What is left is Lettuce writing the
 * arguments and reading the answers, and the JVM's own threads. The per-thread table is read the way
 * {@link RedisThreadCpu} reads it, after the same warm-up, so the two compare row by row.
 *
 * <pre>
 * java -cp robit-bench/target/benchmarks.jar io.robit.bench.redis.RedisRenewalFloor \
 *     redis://127.0.0.1:6379 LOCKS SECONDS [WARMUP_SECONDS]
 * </pre>
 * Keys carry the prefix {@code robit-renewal-floor:}; they are deleted at the end.
 */
public final class RedisRenewalFloor {
    // The driver's own batch size and script, read from it (FloorScripts), so the floor sends what Robit sends.
    static final int BATCH = FloorScripts.renewalBatch();

    private RedisRenewalFloor() {
    }

    /** Entry point; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        int locks = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        if (locks < 1 || seconds < 1 || warmup < 0) {
            throw new IllegalArgumentException("need LOCKS >= 1, SECONDS >= 1, WARMUP_SECONDS >= 0");
        }
        RedisClient client = RedisClient.create(uri);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> new Thread(runnable, "floor-timer"));
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisAsyncCommands<byte[], byte[]> redis = connection.async();
            List<byte[][]> keyBatches = new ArrayList<>();
            List<byte[][]> argBatches = new ArrayList<>();
            byte[] ttl = bytes("3000");
            for (int from = 0; from < locks; from += BATCH) {
                int size = Math.min(BATCH, locks - from);
                byte[][] keys = new byte[size][];
                byte[][] owners = new byte[size + 1][];
                owners[0] = ttl;
                for (int i = 0; i < size; i++) {
                    keys[i] = bytes("robit-renewal-floor:" + (from + i));
                    owners[i + 1] = bytes("owner-" + (from + i));
                    redis.set(keys[i], owners[i + 1], SetArgs.Builder.px(3000));
                }
                keyBatches.add(keys);
                argBatches.add(owners);
            }
            String sha = redis.scriptLoad(bytes(FloorScripts.refreshSession())).get(10, TimeUnit.SECONDS);
            long[] lost = {0};
            ScheduledFuture<?> renewals = timer.scheduleAtFixedRate(() -> {
                List<RedisFuture<List<Object>>> calls = new ArrayList<>();
                for (int b = 0; b < keyBatches.size(); b++) {
                    calls.add(redis.evalsha(sha, ScriptOutputType.MULTI, keyBatches.get(b), argBatches.get(b)));
                }
                try {
                    for (RedisFuture<List<Object>> call : calls) {
                        lost[0] += call.get(5, TimeUnit.SECONDS).size() / 2;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("renewal failed", e);
                }
            }, 0, 1, TimeUnit.SECONDS);
            TimeUnit.SECONDS.sleep(warmup);
            Map<String, Long> before = RedisThreadCpu.threadCpu();
            long cpuBefore = processCpu();
            long start = System.nanoTime();
            TimeUnit.SECONDS.sleep(seconds);
            long wall = System.nanoTime() - start;
            long cpu = processCpu() - cpuBefore;
            Map<String, Long> after = RedisThreadCpu.threadCpu();
            if (renewals.isDone()) {
                // A periodic task ends only by failing, and then renews nothing: the window measured no floor.
                renewals.get();
            }
            timer.shutdown();
            timer.awaitTermination(10, TimeUnit.SECONDS);
            System.out.printf(Locale.ROOT, "floor, %d keys renewed once a second: client CPU %.2f%% of a core, %d renewals found a key gone, load average %.1f%n",
                    locks, 100.0 * cpu / wall, lost[0], ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            Map<String, Long> byThread = new HashMap<>();
            after.forEach((thread, nanos) -> byThread.merge(thread.replaceFirst("#\\d+$", ""), nanos - before.getOrDefault(thread, 0L), Long::sum));
            double perSecond = wall / 1e9 * 1e6;
            byThread.entrySet().stream().filter(e -> e.getValue() > 0).sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(10)
                    .forEach(e -> System.out.printf(Locale.ROOT, "  %-20s %8.2f ms of CPU per s%n", e.getKey(), e.getValue() / perSecond));
            for (byte[][] keys : keyBatches) {
                redis.del(keys).get(10, TimeUnit.SECONDS);
            }
        } finally {
            timer.shutdownNow();
            client.shutdown();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
