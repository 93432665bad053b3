package io.robit.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared Redis the ITs use (127.0.0.1:6379 unless {@code -Drobit.redis.port=N}), and an admin
 * connection to it. Test keys carry their own prefix so they can be removed afterwards.
 */
final class TestRedis {
    static final String HOST = "127.0.0.1";
    static final int PORT = Integer.getInteger("robit.redis.port", 6379);
    static final String PREFIX = "robit-it:";

    private TestRedis() {
    }

    static String uri() {
        return "redis://" + HOST + ":" + PORT + "?keyPrefix=" + PREFIX;
    }

    static RedisURI redisUri() {
        return RedisURI.create(HOST, PORT);
    }

    /** A plain admin client on the shared server; close it. */
    static Admin admin() {
        return new Admin(RedisClient.create(redisUri()));
    }

    /** A plain Lettuce connection for test-side commands; closing it shuts its client down. */
    static final class Admin implements AutoCloseable {
        private final RedisClient client;
        private final StatefulRedisConnection<String, String> connection;

        Admin(RedisClient client) {
            this.client = client;
            this.connection = client.connect();
        }

        RedisCommands<String, String> sync() {
            return connection.sync();
        }

        /** Deletes every key with {@code prefix}. */
        void deleteKeys(String prefix) {
            List<String> keys = new ArrayList<>();
            ScanIterator.scan(sync(), ScanArgs.Builder.matches(prefix + "*").limit(1000)).forEachRemaining(keys::add);
            for (int i = 0; i < keys.size(); i += 500) {
                sync().del(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(String[]::new));
            }
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown();
        }
    }
}
