package io.robit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.LockTimeoutException;
import io.robit.local.LocalDriver;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@link LockContext} across nested and failing {@link Locked} calls, in a real application context
 * on the in-memory backend ({@code robit.backend=local:}), shared by the tests of this class.
 */
class LockedNestingTest {
    private static ConfigurableApplicationContext app;
    private static Outer outer;

    @BeforeAll
    static void start() {
        app = LockedApp.start(Map.of("robit.backend", "local:"), NestingConfig.class);
        outer = app.getBean(Outer.class);
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void theInnermostHoldsTokenIsSeenAndTheOuterOneIsRestored() {
        long[] seen = outer.nested("nest-a", "nest-b");
        assertThat(seen[0]).as("outer token inside outer").isPositive();
        assertThat(seen[1]).as("inner call sees its own token").isPositive();
        assertThat(seen[2]).as("outer token restored after the inner call").isEqualTo(seen[0]);
        assertThat(LockContext.fencingToken()).isEmpty();
    }

    @Test
    void theTokenIsGoneAfterTheMethodThrows() {
        assertThatThrownBy(() -> outer.fail("nest-fail")).isInstanceOf(IllegalStateException.class).hasMessage("boom");
        assertThat(LockContext.fencingToken()).isEmpty();
        assertThat(outer.token("nest-fail")).as("the lock was released despite the exception").isPresent();
    }

    @Test
    void locksAreNotReentrantACallOnTheSameNameFromInsideTimesOut() {
        assertThatThrownBy(() -> outer.nested("nest-same", "nest-same")).isInstanceOf(LockTimeoutException.class).hasMessageContaining("nest-same");
        assertThat(outer.token("nest-same")).as("released after the failed nesting").isPresent();
    }

    @Test
    void theStartersDriverIsTheLocalOne() {
        assertThat(app.getBean(RobitMutexes.class).driver()).isInstanceOf(LocalDriver.class);
    }

    @Configuration(proxyBeanMethods = false)
    static class NestingConfig {
        @Bean
        Inner inner() {
            return new Inner();
        }

        @Bean
        Outer outer(Inner inner) {
            return new Outer(inner);
        }
    }

    static class Outer {
        private final Inner inner;

        Outer(Inner inner) {
            this.inner = inner;
        }

        @Locked(name = "#{#outerName}")
        public long[] nested(String outerName, String innerName) {
            long before = LockContext.fencingToken().orElseThrow();
            long during = inner.token(innerName);
            long after = LockContext.fencingToken().orElseThrow();
            return new long[] {before, during, after};
        }

        @Locked(name = "#{#name}")
        public void fail(String name) {
            throw new IllegalStateException("boom");
        }

        @Locked(name = "#{#name}")
        public OptionalLong token(String name) {
            return LockContext.fencingToken();
        }
    }

    static class Inner {
        @Locked(name = "#{#name}")
        public long token(String name) {
            return LockContext.fencingToken().orElseThrow();
        }
    }
}
