package io.robit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.LockTimeoutException;
import io.robit.local.LocalDriver;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.aopalliance.intercept.MethodInterceptor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.interceptor.ExposeInvocationInterceptor;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link LockContext} across nested and failing {@link Locked} calls, calls through other proxies and
 * transactions, and work on other threads, in a real application context on the in-memory backend
 * ({@code robit.backend=local:}), shared by the tests of this class.
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
        long innerBefore = outer.token("nest-b").orElseThrow(); // so the inner lock's next token is not the outer's
        long[] seen = outer.nested("nest-a", "nest-b");
        assertThat(seen[0]).as("outer token inside outer").isPositive();
        assertThat(seen[1]).as("inner call sees its own hold's token").isEqualTo(innerBefore + 1).isNotEqualTo(seen[0]);
        assertThat(seen[2]).as("outer token restored after the inner call").isEqualTo(seen[0]);
        assertThat(LockContext.fencingToken()).isEmpty();
        assertThat(TransactionSynchronizationManager.getResourceMap()).as("nothing left bound to the thread").isEmpty();
    }

    @Test
    void anInnerCallThatThrowsGivesTheOuterCallItsTokenBack() {
        long[] seen = outer.innerFails("nest-outer-of-fail", "nest-inner-fail");
        assertThat(seen[0]).isPositive();
        assertThat(seen[1]).as("after the inner call threw").isEqualTo(seen[0]);
        assertThat(LockContext.fencingToken()).isEmpty();
    }

    @Test
    void theTokenIsSeenThroughAnotherProxyThatExposesItsOwnInvocation() {
        long[] seen = outer.throughMiddle("nest-middle");
        assertThat(seen[1]).as("seen from a bean behind a foreign proxy").isEqualTo(seen[0]);
        assertThat(seen[2]).as("that proxy did expose its own invocation, which hides ours").isEqualTo(1);
        assertThat(LockContext.fencingToken()).isEmpty();
    }

    @Test
    void transactionsStartedAndSuspendedInsideKeepTheToken() {
        long[] seen = outer.inTransactions("nest-tx");
        assertThat(seen[1]).as("inside a transaction").isEqualTo(seen[0]);
        assertThat(seen[2]).as("inside a REQUIRES_NEW one, the outer suspended").isEqualTo(seen[0]);
        assertThat(seen[3]).as("after both").isEqualTo(seen[0]);
        assertThat(LockContext.fencingToken()).isEmpty();
        assertThat(TransactionSynchronizationManager.getResourceMap()).isEmpty();
    }

    @Test
    void anotherThreadSeesNoTokenNotEvenDuringTheCall() {
        OptionalLong[] seen = outer.otherThread("nest-thread");
        assertThat(seen[0]).as("the calling thread").isPresent();
        assertThat(seen[1]).as("a pool thread the method hands work to").isEmpty();
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

        /** Behind a proxy of its own that exposes its invocation, as AspectJ-style advice does. */
        @Bean
        Middle middle() {
            ProxyFactory factory = new ProxyFactory(new Middle());
            factory.setProxyTargetClass(true);
            factory.addAdvice(ExposeInvocationInterceptor.INSTANCE);
            factory.addAdvice((MethodInterceptor) invocation -> invocation.proceed());
            return (Middle) factory.getProxy();
        }

        @Bean
        Outer outer(Inner inner, Middle middle) {
            return new Outer(inner, middle);
        }
    }

    static class Outer {
        private final Inner inner;
        private final Middle middle;

        Outer(Inner inner, Middle middle) {
            this.inner = inner;
            this.middle = middle;
        }

        @Locked(name = "#{#outerName}")
        public long[] innerFails(String outerName, String innerName) {
            long before = LockContext.fencingToken().orElseThrow();
            try {
                inner.fail(innerName);
            } catch (IllegalStateException expected) {
                // the inner call's failure; the outer call goes on
            }
            return new long[] {before, LockContext.fencingToken().orElseThrow()};
        }

        @Locked(name = "#{#name}")
        public long[] throughMiddle(String name) {
            long[] seen = middle.tokenAndExposure();
            return new long[] {LockContext.fencingToken().orElseThrow(), seen[0], seen[1]};
        }

        @Locked(name = "#{#name}")
        public long[] inTransactions(String name) {
            long before = LockContext.fencingToken().orElseThrow();
            // A real transaction manager: it binds its DataSource to the thread, and REQUIRES_NEW suspends that.
            TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(new DriverManagerDataSource("jdbc:sqlite::memory:")));
            TransactionTemplate requiresNew = new TransactionTemplate(tx.getTransactionManager());
            requiresNew.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
            long[] inside = tx.execute(outerTx -> {
                long inOuter = LockContext.fencingToken().orElseThrow();
                long inNew = requiresNew.execute(newTx -> LockContext.fencingToken().orElseThrow());
                return new long[] {inOuter, inNew};
            });
            return new long[] {before, inside[0], inside[1], LockContext.fencingToken().orElseThrow()};
        }

        @Locked(name = "#{#name}")
        public OptionalLong[] otherThread(String name) {
            OptionalLong elsewhere = CompletableFuture.supplyAsync(LockContext::fencingToken).join();
            return new OptionalLong[] {LockContext.fencingToken(), elsewhere};
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

    static class Middle {
        /** This thread's token, and 1 if the current exposed invocation is this proxy's own. */
        public long[] tokenAndExposure() {
            boolean mine = ExposeInvocationInterceptor.currentInvocation().getMethod().getDeclaringClass() == Middle.class;
            return new long[] {LockContext.fencingToken().orElseThrow(), mine ? 1 : 0};
        }
    }

    static class Inner {
        @Locked(name = "#{#name}")
        public long token(String name) {
            return LockContext.fencingToken().orElseThrow();
        }

        @Locked(name = "#{#name}")
        public void fail(String name) {
            throw new IllegalStateException("inner boom");
        }
    }
}
