package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.robit.spi.LockInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads lock keys for operators ({@code robit status}, {@code robit list}). Stateless and thread-safe. */
final class LockInspector {
    private final Client client;
    private final Keys keys;
    private final EtcdStore store;
    private final Duration timeout;

    LockInspector(Client client, Keys keys, EtcdStore store, Duration timeout) {
        this.client = client;
        this.keys = keys;
        this.store = store;
        this.timeout = timeout;
    }

    Optional<LockInfo> inspect(String id, ByteSequence key) {
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            GetResponse response = store.await(store.read(key), deadline, id, "inspect");
            if (response.getKvs().isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(infoOf(id, response.getKvs().get(0), new HashMap<>(), deadline));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw store.failure(id, "inspect", e);
        }
    }

    List<LockInfo> list() {
        String what = "locks under prefix '" + keys.prefix() + "'";
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            // An empty prefix lists the whole keyspace: from the first key ("\0") to the end ("\0" as range end).
            ByteSequence start = keys.prefix().isEmpty() ? ByteSequence.from(new byte[] {0}) : ByteSequence.from(keys.prefix(), StandardCharsets.UTF_8);
            GetOption option = keys.prefix().isEmpty()
                    ? GetOption.builder().withRange(ByteSequence.from(new byte[] {0})).build()
                    : GetOption.builder().isPrefix(true).build();
            GetResponse response = store.await(store.read(start, option), deadline, what, "list");
            Map<Long, Optional<Duration>> ttls = new HashMap<>();
            List<LockInfo> all = new ArrayList<>();
            for (KeyValue held : response.getKvs()) {
                byte[] afterPrefix = Arrays.copyOfRange(held.getKey().getBytes(), keys.prefixBytes(), held.getKey().size());
                if (WaitQueue.isPlace(afterPrefix)) {
                    continue; // a waiter's place, not a lock
                }
                String name = held.getKey().toString(StandardCharsets.UTF_8).substring(keys.prefix().length());
                all.add(infoOf(name, held, ttls, deadline));
            }
            all.sort(Comparator.comparing(LockInfo::name));
            return all;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw store.failure(what, "list", e);
        }
    }

    /** One lease look-up per distinct lease ({@code ttls} caches them within one call). */
    private LockInfo infoOf(String id, KeyValue held, Map<Long, Optional<Duration>> ttls, long deadline) throws InterruptedException {
        Optional<Duration> expiresIn = ttls.get(held.getLease());
        if (expiresIn == null) {
            long left = held.getLease() == 0 ? -1
                    : store.await(client.getLeaseClient().timeToLive(held.getLease(), LeaseOption.DEFAULT), deadline, id, "inspect").getTTL();
            expiresIn = left < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(left));
            ttls.put(held.getLease(), expiresIn);
        }
        return new LockInfo(id, Optional.of(held.getValue().toString(StandardCharsets.UTF_8)), held.getCreateRevision(), Optional.empty(),
                expiresIn);
    }
}
