package io.robit.etcd;

import io.etcd.jetcd.Client;
import io.robit.spi.Driver;
import io.robit.spi.LeaseSession;
import io.robit.tck.DriverFixture;
import io.robit.testsupport.EtcdCluster;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The etcd backends of the conformance kit: the per-JVM test server (a lease is broken by revoking
 * the etcd lease its key is bound to, as expiry would; reached through a proxy for the outage and
 * partition contracts), and three members of the fixture's own (a lease is broken by deleting its
 * key). Thread-safe.
 */
final class EtcdFixture implements DriverFixture<String> {
    private final String uri;
    private final Client admin; // null: the shared server's admin, through EtcdTestSupport
    private final EtcdCluster cluster; // null: the shared server

    private EtcdFixture(String uri, Client admin, EtcdCluster cluster) {
        this.uri = uri;
        this.admin = admin;
        this.cluster = cluster;
    }

    /** The server every etcd test of this JVM shares (see {@link EtcdTestSupport}). */
    static EtcdFixture shared() {
        return new EtcdFixture(EtcdTestSupport.server().uri(), null, null);
    }

    /** Three etcd members of the fixture's own (issue 14), stopped on close. */
    static EtcdFixture cluster() throws Exception {
        EtcdCluster cluster = EtcdCluster.start();
        Client admin = Client.builder().endpoints(cluster.endpoint(0), cluster.endpoint(1), cluster.endpoint(2)).build();
        return new EtcdFixture(cluster.uri(), admin, cluster);
    }

    @Override
    public Driver<String> newDriver() {
        return EtcdDriver.builder(uri).build();
    }

    @Override
    public Optional<InetSocketAddress> serverAddress() {
        return cluster != null ? Optional.empty() : Optional.of(new InetSocketAddress("127.0.0.1", EtcdTestSupport.server().clientPort()));
    }

    @Override
    public Driver<String> newDriverVia(InetSocketAddress address) {
        return EtcdDriver.builder("etcd://" + address.getHostString() + ":" + address.getPort()).build();
    }

    @Override
    public String newLockId() {
        return "conformance-" + UUID.randomUUID();
    }

    @Override
    public void breakLease(String id) throws Exception {
        if (cluster == null) {
            EtcdTestSupport.revokeLeaseOf(id);
        } else {
            admin.getKVClient().delete(EtcdTestSupport.key(id)).get(10, TimeUnit.SECONDS);
        }
    }

    /** Revokes the shared etcd lease (the holds' session), as an operator or an expiry would. */
    @Override
    public void endSession(LeaseSession session) throws Exception {
        Client client = admin != null ? admin : EtcdTestSupport.admin();
        client.getLeaseClient().revoke(((SharedLease) session).id()).get(10, TimeUnit.SECONDS);
    }

    /** The cluster grants no lease shorter than its election timeout allows. */
    @Override
    public Duration expiryTtl() {
        return cluster != null ? EtcdCluster.MINIMUM_LEASE : DriverFixture.super.expiryTtl();
    }

    @Override
    public List<String> invalidIds() {
        return cluster == null
                ? List.of("", "x".repeat(Keys.MAX_ID_BYTES + 1), "\u00e9".repeat(Keys.MAX_ID_BYTES / 2 + 1), "bad\uD800surrogate")
                : List.of("", "x".repeat(Keys.MAX_ID_BYTES + 1), "bad\uD800surrogate");
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }
}
