package io.robit.spring;

import java.util.function.Supplier;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;

/**
 * Proxies every bean that has a {@link Locked} method, like Spring's {@code @Async} and
 * {@code @Validated} post-processors, so no AspectJ is needed; checks each annotation when the
 * bean is created, and each ttl against the defaults once all beans exist, so a bad name template,
 * duration or ttl fails at startup.
 */
final class LockedPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor implements SmartInitializingSingleton {
    private final LockedInterceptor interceptor;
    private final Supplier<RobitMutexes> mutexes;

    LockedPostProcessor(Supplier<RobitMutexes> mutexes) {
        this.mutexes = mutexes;
        this.interceptor = new LockedInterceptor(mutexes);
        this.advisor = new DefaultPointcutAdvisor(new AnnotationMatchingPointcut(null, Locked.class, true), interceptor);
        // Run before other advisors (such as @Transactional's), so the lock covers the transaction.
        setBeforeExistingAdvisors(true);
        setProxyTargetClass(true);
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (isEligible(bean, beanName)) {
            interceptor.inspect(AopUtils.getTargetClass(bean));
        }
        return super.postProcessAfterInitialization(bean, beanName);
    }

    /** Once every bean exists: each {@code @Locked} ttl must fit {@code robit.renew-period} and {@code robit.drift-margin}. */
    @Override
    public void afterSingletonsInstantiated() {
        interceptor.checkTtls(mutexes);
    }
}
