package io.robit.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.robit.testsupport.EtcdServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** What the etcd tests share: the per-JVM server, an admin client of its own, and lock names. */
final class EtcdTestSupport {
    private EtcdTestSupport() {
    }

    static EtcdServer server() {
        return EtcdServer.shared();
    }

    /** A jetcd client on the shared server that no driver uses: the "operator" or "other process". */
    static Client admin() {
        return Admin.CLIENT;
    }

    private static final class Admin {
        static final Client CLIENT = Client.builder().endpoints("http://" + server().endpoint()).build();
    }

    static EtcdDriver newDriver() {
        return EtcdDriver.builder(server().uri()).build();
    }

    static String newLockId(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    static ByteSequence key(String id) {
        return ByteSequence.from(EtcdDriver.DEFAULT_KEY_PREFIX + id, StandardCharsets.UTF_8);
    }

    /** The lock's key as etcd has it now, or null. */
    static KeyValue keyValue(String id) throws Exception {
        List<KeyValue> kvs = admin().getKVClient().get(key(id)).get(10, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0);
    }

    /** Deletes the lock's key behind its holder's back. */
    static void deleteKey(String id) throws Exception {
        admin().getKVClient().delete(key(id)).get(10, TimeUnit.SECONDS);
    }

    /** Revokes the etcd lease the lock's key is bound to. */
    static void revokeLeaseOf(String id) throws Exception {
        KeyValue kv = keyValue(id);
        if (kv == null) {
            throw new IllegalStateException("lock " + id + " is not held");
        }
        admin().getLeaseClient().revoke(kv.getLease()).get(10, TimeUnit.SECONDS);
    }

    static final Duration TIMEOUT = Duration.ofSeconds(5);
}
