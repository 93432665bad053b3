package io.robit.spring;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/** The application the starter's tests start: the starter's auto-configuration (found through AutoConfiguration.imports) and one bean of {@link Locked} methods. */
@SpringBootConfiguration
@EnableAutoConfiguration
class LockedApp {
    @Bean
    Jobs jobs() {
        return new Jobs();
    }

    /** Starts the application with these properties, as {@code java -jar app.jar --k=v} would. */
    static ConfigurableApplicationContext start(Map<String, Object> properties, Class<?>... more) {
        Class<?>[] sources = new Class<?>[more.length + 1];
        sources[0] = LockedApp.class;
        System.arraycopy(more, 0, sources, 1, more.length);
        Map<String, Object> all = new java.util.HashMap<>(properties);
        if (!all.containsKey("spring.datasource.url")) {
            // The test classpath has JDBC drivers and Boot's DataSource support; only some tests want a DataSource.
            all.put("spring.autoconfigure.exclude", "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration");
        }
        return new SpringApplicationBuilder(sources).web(WebApplicationType.NONE).properties(all).run();
    }

    /** {@code @Locked} methods over names {@code PREFIX-order-ID}. */
    static class Jobs {
        /** Holds the lock until {@code release} opens; returns the hold's token. */
        @Locked(name = "#{#prefix}-order-#{#id}")
        public long hold(String prefix, long id, CountDownLatch entered, CountDownLatch release) throws InterruptedException {
            entered.countDown();
            if (!release.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            return LockContext.fencingToken().orElseThrow();
        }

        /** One attempt; skipped (empty) when the lock is busy. */
        @Locked(name = "#{#prefix}-order-#{#id}", onTimeout = Locked.OnTimeout.SKIP)
        public Optional<Long> tokenOrSkip(String prefix, long id) {
            return Optional.of(LockContext.fencingToken().orElseThrow());
        }

        /** One attempt; LockTimeoutException when the lock is busy. Positional SpEL. */
        @Locked(name = "#{#p0}-order-#{#p1}")
        public long token(String prefix, long id) {
            return LockContext.fencingToken().orElseThrow();
        }

        /** Waits up to 20 s for the lock. */
        @Locked(name = "#{#prefix}-order-#{#id}", ttl = "5s", waitFor = "20s")
        public long tokenWaiting(String prefix, long id) {
            return LockContext.fencingToken().orElseThrow();
        }

        /** Skipped: returns 0 for a primitive. */
        @Locked(name = "#{#prefix}-order-#{#id}", onTimeout = Locked.OnTimeout.SKIP)
        public int countOrSkip(String prefix, long id) {
            return 1;
        }

        /** Blocks until interrupted (by a loss) or 30 s pass, with a short lease. */
        @Locked(name = "#{#prefix}-order-#{#id}", ttl = "1500ms")
        public void holdUntilInterrupted(String prefix, long id, CountDownLatch entered) throws InterruptedException {
            entered.countDown();
            Thread.sleep(30_000);
        }
    }
}
