package io.robit.redis;

import io.lettuce.core.AbstractRedisClient;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shuts an owned Lettuce client down without waiting forever: {@code shutdown()} waits without a
 * bound for every connection to close, and after a Cluster failover one of them (to the dead master,
 * reconnecting) was seen never to, hanging {@code RedisDriver.close()}.
 */
final class ClientShutdown {
    private static final Logger LOG = LoggerFactory.getLogger(ClientShutdown.class);
    private static final long WAIT_SECONDS = 10;

    private ClientShutdown() {
    }

    static Runnable bounded(AbstractRedisClient client, String where) {
        return () -> {
            try {
                client.shutdownAsync(0, 2, TimeUnit.SECONDS).get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                LOG.warn("{}: the Redis client did not shut down within {} s; closing without waiting for it", where, WAIT_SECONDS);
            } catch (ExecutionException e) {
                LOG.warn("{}: the Redis client shut down with an error: {}", where, e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }
}
