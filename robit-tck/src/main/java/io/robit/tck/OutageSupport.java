package io.robit.tck;

import io.robit.spi.Driver;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The outage of {@link SafetyContract}: a driver through a {@link CuttableProxy} that is then
 * cut, or, for a backend with no server to cut, every lease broken at once. Not thread-safe.
 *
 * @param <ID> the driver's lock-name type
 */
final class OutageSupport<ID> implements AutoCloseable {
    private final SafetyContract<ID> contract;
    private final CuttableProxy proxy;
    private final Driver<ID> driver;

    private OutageSupport(SafetyContract<ID> contract, CuttableProxy proxy, Driver<ID> driver) {
        this.contract = contract;
        this.proxy = proxy;
        this.driver = driver;
    }

    static <ID> OutageSupport<ID> start(SafetyContract<ID> contract) throws Exception {
        InetSocketAddress server = contract.server().orElse(null);
        if (server == null) {
            return new OutageSupport<>(contract, null, contract.openedDriver(false, null));
        }
        CuttableProxy proxy = CuttableProxy.to(server);
        try {
            return new OutageSupport<>(contract, proxy, contract.openedDriver(true, proxy.address()));
        } catch (Exception | Error e) {
            proxy.close();
            throw e;
        }
    }

    Driver<ID> driver() {
        return driver;
    }

    /** Makes the backend unreachable, or breaks the lease of every id in {@code ids}. */
    void cut(List<ID> ids) throws Exception {
        if (proxy != null) {
            proxy.cut();
            return;
        }
        for (ID id : ids) {
            contract.breakLeaseOf(id);
        }
    }

    void restore() {
        if (proxy != null) {
            proxy.restore();
        }
    }

    @Override
    public void close() {
        if (proxy != null) {
            proxy.close();
        }
    }

    /** The live threads of this JVM but the proxy's, counted by name with digits removed, for failure messages. */
    static Map<String, Long> clientThreadNames() {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(name -> !name.startsWith(CuttableProxy.THREAD_PREFIX))
                .collect(Collectors.groupingBy(name -> name.replaceAll("[0-9]+", "#"), TreeMap::new, Collectors.counting()));
    }

    /** Live threads of this JVM, without the proxy's own. */
    static int clientThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !thread.getName().startsWith(CuttableProxy.THREAD_PREFIX))
                .count();
    }
}
