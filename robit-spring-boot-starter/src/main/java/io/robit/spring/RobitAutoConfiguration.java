package io.robit.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.robit.MutexListener;
import io.robit.micrometer.RobitMetrics;
import io.robit.spi.Driver;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;

/**
 * Robit's auto-configuration: a {@link Driver} (unless the application defines one), a
 * {@link RobitMutexes}, {@link Locked} methods, and, when the application has them, metrics on its
 * {@code MeterRegistry} and a {@code robit} health component. Closes only the driver it made.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@EnableConfigurationProperties(RobitProperties.class)
public class RobitAutoConfiguration {

    /** The lock backend: {@code robit.backend}, else one of the application's clients. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(Driver.class)
    public Driver<String> robitDriver(RobitProperties properties, ListableBeanFactory beans) {
        return BackendDrivers.create(properties, beans);
    }

    @Bean
    @ConditionalOnMissingBean
    public RobitMutexes robitMutexes(Driver<String> driver, RobitProperties properties, ObjectProvider<MutexListener> listeners) {
        return new RobitMutexes(driver, properties.getTtl(), properties.getRenewPeriod(), properties.getDriftMargin(), listeners.orderedStream().toList());
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static LockedPostProcessor robitLockedPostProcessor(ObjectProvider<RobitMutexes> mutexes) {
        return new LockedPostProcessor(mutexes::getObject);
    }

    /** Lock meters on the application's registry; Boot's metrics support binds every MeterBinder bean to it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, RobitMetrics.class})
    @ConditionalOnBean(MeterRegistry.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        RobitMetrics robitMetrics() {
            return RobitMetrics.builder().build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "robitHealthIndicator")
        RobitHealthIndicator robitHealthIndicator(Driver<String> driver) {
            return new RobitHealthIndicator(driver);
        }
    }
}
