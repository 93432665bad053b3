package io.robit.spring;

import java.util.function.Supplier;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;

/**
 * Proxies every bean that has a {@link Locked} method, like Spring's {@code @Async} and
 * {@code @Validated} post-processors, so no AspectJ is needed; checks each annotation when the
 * bean is created, so a bad name template or duration fails at startup.
 */
final class LockedPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {
    private final transient LockedInterceptor interceptor;

    LockedPostProcessor(Supplier<RobitMutexes> mutexes) {
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
}
