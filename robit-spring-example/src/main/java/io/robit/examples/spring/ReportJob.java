package io.robit.examples.spring;

import io.robit.spring.LockContext;
import io.robit.spring.Locked;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** A report that every instance schedules and one instance at a time runs; the others skip that round. */
@Component
public class ReportJob {
    private final JdbcClient jdbc;
    private final String instance = UUID.randomUUID().toString();

    public ReportJob(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    // snippet:scheduled
    @Scheduled(fixedDelayString = "${example.report.delay}")
    @Locked(name = "example-report", onTimeout = Locked.OnTimeout.SKIP)
    public void report() throws InterruptedException {
        long token = LockContext.fencingToken().orElseThrow();
        long id = start(token); // only the instance holding the lock gets here; the others skip this round
        Thread.sleep(50);       // the report's work; interrupted if the lock is lost
        finish(id);
    }
    // end::scheduled

    /** Which instance this is, as recorded in its reports. */
    public String instance() {
        return instance;
    }

    private long start(long token) {
        return jdbc.sql("""
                INSERT INTO example_reports (instance, fencing_token, accounts, started_at)
                SELECT ?, ?, count(*), clock_timestamp() FROM example_accounts RETURNING id""")
                .params(instance, token).query(Long.class).single();
    }

    private void finish(long id) {
        jdbc.sql("UPDATE example_reports SET finished_at = clock_timestamp() WHERE id = ?").param(id).update();
    }
}
