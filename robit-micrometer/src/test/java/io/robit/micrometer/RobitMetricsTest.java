package io.robit.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.robit.ElectionListener;
import io.robit.Held;
import io.robit.LeaderElection;
import io.robit.Leadership;
import io.robit.Mutex;
import io.robit.local.LocalDriver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RobitMetricsTest {
    private final LocalDriver<String> driver = LocalDriver.create();

    @Test
    void metersReadBackFromASimpleRegistry() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RobitMetrics metrics = RobitMetrics.bindTo(registry, Tags.of("app", "test"));
        Mutex<String> m = Mutex.builder("orders", Duration.ofSeconds(3), driver)
                .renewPeriod(Duration.ofMillis(50)).listener(metrics).build();
        Mutex<String> other = Mutex.builder("orders", Duration.ofSeconds(3), driver).listener(metrics).build();

        m.lock();
        assertThat(registry.get("robit.held").tags("lock", "orders", "backend", "local", "app", "test").gauge().value()).isEqualTo(1.0);
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.get("robit.renew").tag("lock", "orders").timer().count() >= 2);
        assertThat(registry.get("robit.lease.remaining").tag("lock", "orders").gauge().value()).isGreaterThan(0.5).isLessThanOrEqualTo(3.0);
        assertThat(other.tryLock()).isEmpty();
        m.unlock();
        assertThat(registry.get("robit.held").tag("lock", "orders").gauge().value()).isZero();
        assertThat(registry.get("robit.lease.remaining").tag("lock", "orders").gauge().value()).isZero();

        Held held = m.lock();
        driver.revoke("orders");
        await().atMost(Duration.ofSeconds(5)).until(held::isLost);
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("robit.lost").tag("reason", "gone").counter() != null);

        assertThat(registry.get("robit.acquire").tags("lock", "orders", "outcome", "acquired").timer().count()).isEqualTo(2);
        assertThat(registry.get("robit.acquire").tags("lock", "orders", "outcome", "busy").timer().count()).isEqualTo(1);
        assertThat(registry.get("robit.hold").tags("lock", "orders", "end", "released").timer().count()).isEqualTo(1);
        assertThat(registry.get("robit.hold").tags("lock", "orders", "end", "lost").timer().count()).isEqualTo(1);
        assertThat(registry.get("robit.lost").tags("lock", "orders", "reason", "gone").counter().count()).isEqualTo(1);
        assertThat(registry.get("robit.held").tag("lock", "orders").gauge().value()).isZero();
    }

    @Test
    void lockTagCapsCardinalityAndPrefixRenames() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RobitMetrics metrics = RobitMetrics.builder().prefix("locks").lockTag(name -> name.replaceAll("-\\d+$", "")).build();
        metrics.bindTo(registry);
        for (int i = 0; i < 20; i++) {
            Mutex<String> m = Mutex.builder("order-" + i, Duration.ofSeconds(3), driver).listener(metrics).build();
            m.lock();
            m.unlock();
        }
        assertThat(registry.find("locks.acquire").timers()).hasSize(1);
        assertThat(registry.get("locks.acquire").tag("lock", "order").timer().count()).isEqualTo(20);
        assertThat(registry.find("robit.acquire").timers()).isEmpty();
    }

    @Test
    void renewalFailuresAreCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RobitMetrics metrics = RobitMetrics.bindTo(registry, Tags.empty());
        Mutex<String> m = Mutex.builder("flaky", Duration.ofSeconds(3), new FailingRefreshDriver(driver))
                .renewPeriod(Duration.ofMillis(50)).listener(metrics).build();
        m.lock();
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.get("robit.renew.failed").tag("lock", "flaky").counter().count() >= 2);
        m.unlock();
    }

    @Test
    void prometheusExample() throws Exception {
        // snippet:prometheus
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RobitMetrics metrics = RobitMetrics.builder()
                .lockTag(name -> name.replaceAll("-\\d+$", "")) // order-1234 -> order: bounded cardinality
                .build();
        metrics.bindTo(registry);

        Mutex<String> mutex = Mutex.builder("order-1234", Duration.ofSeconds(30), driver)
                .listener(metrics)
                .build();
        try (Held held = mutex.lock()) {
            // ... work ...
        }
        String scrape = registry.scrape(); // serve this at /metrics
        // end::prometheus
        assertThat(scrape).contains("robit_acquire_seconds_count{backend=\"local\",lock=\"order\",outcome=\"acquired\"} 1")
                .contains("robit_acquire_seconds_bucket")
                .contains("robit_hold_seconds_count{backend=\"local\",end=\"released\",lock=\"order\"} 1")
                .contains("robit_held{backend=\"local\",lock=\"order\"} 0")
                .contains("robit_lease_remaining_seconds")
                .contains("robit_renew_seconds")
                .contains("robit_renew_failed_total");
        MeterRegistry unused = registry;
        assertThat(unused.find("robit.lost").counters()).isEmpty();
    }

    @Test
    void leaderElectionMeters() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RobitMetrics metrics = RobitMetrics.bindTo(registry, Tags.empty());
        LeaderElection<String> a = LeaderElection.builder("scheduler", Duration.ofSeconds(3), driver).listener((ElectionListener) metrics).build();
        LeaderElection<String> b = LeaderElection.builder("scheduler", Duration.ofSeconds(3), driver).listener((ElectionListener) metrics).build();
        a.start();
        Leadership first = a.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        b.start();
        // Listeners are told just after the leadership is visible.
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("robit.leader.leading").tag("lock", "scheduler").gauge() != null);
        assertThat(registry.get("robit.leader.leading").tag("lock", "scheduler").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("robit.leader.term").tag("lock", "scheduler").gauge().value()).isEqualTo(first.term());

        a.close(); // resigns: b is elected
        Leadership second = b.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.get("robit.leader.elections").tag("lock", "scheduler").counter().count() == 2);
        assertThat(registry.get("robit.leader.term").tag("lock", "scheduler").gauge().value()).isEqualTo(second.term());
        assertThat(registry.get("robit.leader.tenure").tags("lock", "scheduler", "end", "resigned").timer().count()).isEqualTo(1);

        driver.revoke("scheduler");
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("robit.leader.revoked").tag("reason", "gone").counter() != null);
        assertThat(registry.get("robit.leader.revoked").tags("lock", "scheduler", "reason", "gone").counter().count()).isEqualTo(1);
        assertThat(registry.get("robit.leader.tenure").tags("lock", "scheduler", "end", "revoked").timer().count()).isEqualTo(1);
        // b campaigns again after the loss and wins a greater term.
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.get("robit.leader.elections").tag("lock", "scheduler").counter().count() == 3);
        assertThat(registry.get("robit.leader.term").tag("lock", "scheduler").gauge().value()).isGreaterThan(second.term());
        assertThat(registry.get("robit.leader.leading").tag("lock", "scheduler").gauge().value()).isEqualTo(1.0);
        b.close();
        assertThat(registry.get("robit.leader.leading").tag("lock", "scheduler").gauge().value()).isZero();
    }
}
