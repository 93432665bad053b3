package io.robit.tck;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The conformance kit's entry point: every contract of the kit, run over one backend. A driver's
 * conformance test extends it and says how to reach the backend, once:
 *
 * <pre>{@code
 * class RedisConformanceIT extends DriverConformance<String> {
 *     @Override
 *     protected DriverFixture<String> openFixture() {
 *         return RedisFixture.standalone(); // started once for the class, closed after its last test
 *     }
 * }
 * }</pre>
 *
 * <p>Each contract is a {@link Nested} class here ({@link DriverContract} with its nested
 * {@link ContentionContract}, {@link MutexContract} with {@link SafetyContract},
 * {@link LeaderElectionContract}, {@link SessionLeaseContract}, {@link FairnessContract}); a contract added
 * to the kit is one more.
 * {@link #openFixture()} is called once per conformance class, before its first test, and the
 * fixture is closed after its last: every contract shares it, and whatever servers it starts.
 * A backend may run a subset with {@link Contracts} (e.g. a cluster tier that repeats the driver
 * contract over the standalone's code). {@link FairnessContract} is a promise only some drivers make:
 * it runs only for a class marked {@link FairWaiting}.
 *
 * @param <ID> the driver's lock-name type
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class DriverConformance<ID> {
    private DriverFixture<ID> fixture;

    /** The backend under test, opened once for the whole class; the kit closes it. */
    protected abstract DriverFixture<ID> openFixture() throws Exception;

    /** The fixture {@link #openFixture()} returned. */
    protected final DriverFixture<ID> fixture() {
        if (fixture == null) {
            throw new IllegalStateException("openFixture() has not run (or failed) for " + getClass().getName());
        }
        return fixture;
    }

    @BeforeAll
    final void openTheFixture() throws Exception {
        fixture = openFixture();
    }

    @AfterAll
    final void closeTheFixture() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** The kit's contracts, for {@link Contracts}. */
    public enum Contract {
        /** {@link DriverContract}: the SPI, call by call, and its waiting contract ({@link ContentionContract}). */
        DRIVER,
        /** {@link MutexContract} and {@link SafetyContract}: the {@code Mutex} semantics over the driver. */
        MUTEX,
        /** {@link LeaderElectionContract}: leader election and asynchronous locking over the driver. */
        LEADER_ELECTION,
        /** {@link SessionLeaseContract}: holds sharing a backend session (skipped unless the leases are session leases). */
        SESSION_LEASES,
        /** {@link FairnessContract}: waiters served about in arrival order (only with {@link FairWaiting}). */
        FAIRNESS
    }

    /** Runs only these contracts of a {@link DriverConformance} class; without it, all of them run. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @Inherited
    public @interface Contracts {
        Contract[] value();
    }

    /**
     * The driver serves waiters about in arrival order: a waiting caller gets the lock within a few
     * hand-overs, and a releaser that asks again at once queues behind it. Marks a conformance class
     * whose driver promises it, so that {@link FairnessContract} runs (it is skipped otherwise): not
     * every backend does (a waiter that polls, or is woken by a broadcast, races the releaser).
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @Inherited
    public @interface FairWaiting {
    }

    /** {@link DriverContract} over the fixture. */
    @Nested
    @ExtendWith(Selection.class)
    class DriverContractTests extends DriverContract<ID> {
        @Override
        protected DriverFixture<ID> fixture() {
            return DriverConformance.this.fixture();
        }
    }

    /** {@link MutexContract} (with {@link SafetyContract}) over the fixture. */
    @Nested
    @ExtendWith(Selection.class)
    class MutexContractTests extends MutexContract<ID> {
        @Override
        protected DriverFixture<ID> fixture() {
            return DriverConformance.this.fixture();
        }
    }

    /** {@link LeaderElectionContract} over the fixture. */
    @Nested
    @ExtendWith(Selection.class)
    class LeaderElectionContractTests extends LeaderElectionContract<ID> {
        @Override
        protected DriverFixture<ID> fixture() {
            return DriverConformance.this.fixture();
        }
    }

    /** {@link SessionLeaseContract} over the fixture; skips itself unless the driver's leases are session leases. */
    @Nested
    @ExtendWith(Selection.class)
    class SessionLeaseContractTests extends SessionLeaseContract<ID> {
        @Override
        protected DriverFixture<ID> fixture() {
            return DriverConformance.this.fixture();
        }
    }

    /** {@link FairnessContract} over the fixture; skipped unless the class is marked {@link FairWaiting}. */
    @Nested
    @ExtendWith(Selection.class)
    class FairnessContractTests extends FairnessContract<ID> {
        @Override
        protected DriverFixture<ID> fixture() {
            return DriverConformance.this.fixture();
        }
    }

    /**
     * Skips a nested contract that the enclosing class's {@link Contracts} leaves out, and the
     * fairness contract of a class not marked {@link FairWaiting}.
     */
    static final class Selection implements ExecutionCondition {
        private static final Map<Class<?>, Contract> NESTED = Map.of(
                DriverConformance.DriverContractTests.class, Contract.DRIVER,
                DriverConformance.MutexContractTests.class, Contract.MUTEX,
                DriverConformance.LeaderElectionContractTests.class, Contract.LEADER_ELECTION,
                DriverConformance.SessionLeaseContractTests.class, Contract.SESSION_LEASES,
                DriverConformance.FairnessContractTests.class, Contract.FAIRNESS);

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            Contract contract = NESTED.get(context.getRequiredTestClass());
            if (contract == null || context.getTestMethod().isPresent() || context.getParent().isEmpty()) {
                return ConditionEvaluationResult.enabled("not a nested contract");
            }
            Optional<Class<?>> backend = context.getParent().get().getTestClass();
            if (contract == Contract.FAIRNESS && backend.filter(type -> AnnotationSupport.isAnnotated(type, FairWaiting.class)).isEmpty()) {
                return ConditionEvaluationResult.disabled("the driver does not promise fair waiting (no @DriverConformance.FairWaiting)");
            }
            Set<Contract> selected = backend
                    .flatMap(type -> AnnotationSupport.findAnnotation(type, Contracts.class))
                    .map(only -> Set.of(only.value()))
                    .orElse(EnumSet.allOf(Contract.class));
            return selected.contains(contract)
                    ? ConditionEvaluationResult.enabled(contract + " is selected")
                    : ConditionEvaluationResult.disabled(contract + " is not among this backend's @Contracts " + selected);
        }
    }
}
