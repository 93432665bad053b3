package io.robit.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.spring.RobitMutexes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The example application's real context, on the real Redis (locks) and PostgreSQL (data), over HTTP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "example.report.delay=20ms")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExampleApplicationIT {
    private static final Pattern DEPOSIT = Pattern.compile("\\{\"account\":(\\d+),\"balance\":(\\d+),\"fencingToken\":(\\d+)}");
    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;
    @Autowired
    Accounts accounts;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    ReportJob reportJob;
    @Autowired
    RobitMutexes mutexes;

    @Test
    void depositsWriteWithTheFencingTokenAndAStaleTokenIsRefused() throws Exception {
        long account = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        long[] first = deposit(account, 5);
        assertThat(first[1]).isEqualTo(5);
        assertThat(accounts.lastToken(account)).as("the row carries the hold's token").contains(first[2]);

        // Eight concurrent requests: the per-account lock serialises read-add-write, so none is lost.
        List<CompletableFuture<long[]>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> deposit(account, 1)));
        }
        List<Long> tokens = new ArrayList<>();
        for (CompletableFuture<long[]> call : calls) {
            tokens.add(call.get(60, TimeUnit.SECONDS)[2]);
        }
        assertThat(accounts.balance(account)).contains(13L);
        assertThat(tokens).doesNotHaveDuplicates().allSatisfy(t -> assertThat(t).isGreaterThan(first[2]));

        long newest = accounts.lastToken(account).orElseThrow();
        assertThat(accounts.write(account, 1_000_000, newest - 1)).as("a holder that lost the lock is fenced off").isFalse();
        assertThat(accounts.balance(account)).contains(13L);
    }

    @Test
    void theScheduledReportRunsUnderTheLockAndSkipsWhileAnotherInstanceHoldsIt() throws Exception {
        long from = lastReport();
        await().atMost(Duration.ofSeconds(30)).until(() -> finishedSince(from) >= 3);

        // Another instance (here, the test) holds the report's lock: every round is skipped.
        try (Held other = mutexes.mutex("example-report").tryLock(Duration.ofSeconds(10)).orElseThrow()) {
            long during = lastReport();
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> lastReport() == during);
            long resumed = lastReport();
            other.close();
            await().atMost(Duration.ofSeconds(30)).until(() -> finishedSince(resumed) >= 1);
            long token = jdbc.sql("SELECT fencing_token FROM example_reports WHERE id > ? AND instance = ? ORDER BY id LIMIT 1")
                    .params(resumed, reportJob.instance()).query(Long.class).single();
            assertThat(token).as("the next run's token is newer than the other holder's").isGreaterThan(other.fencingToken());
        }
        List<Timestamp[]> runs = jdbc.sql("SELECT started_at, finished_at FROM example_reports WHERE id > ? AND instance = ? AND finished_at IS NOT NULL ORDER BY id")
                .params(from, reportJob.instance()).query((rs, n) -> new Timestamp[] {rs.getTimestamp(1), rs.getTimestamp(2)}).list();
        for (int i = 1; i < runs.size(); i++) {
            assertThat(runs.get(i)[0]).as("run %d starts after run %d finished", i, i - 1).isAfterOrEqualTo(runs.get(i - 1)[1]);
        }
        List<Long> tokens = jdbc.sql("SELECT fencing_token FROM example_reports WHERE id > ? AND instance = ? ORDER BY id")
                .params(from, reportJob.instance()).query(Long.class).list();
        assertThat(tokens).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void actuatorShowsTheRobitHealthComponentAndTheLockMeters() throws Exception {
        deposit(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), 1);
        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).contains("\"robit\":{\"status\":\"UP\"");
        HttpResponse<String> meters = get("/actuator/metrics/robit.acquire");
        assertThat(meters.statusCode()).as(meters.body()).isEqualTo(200);
        assertThat(meters.body()).contains("\"outcome\"").contains("acquired");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private long lastReport() {
        return jdbc.sql("SELECT coalesce(max(id), 0) FROM example_reports WHERE instance = ?").param(reportJob.instance()).query(Long.class).single();
    }

    private long finishedSince(long id) {
        return jdbc.sql("SELECT count(*) FROM example_reports WHERE id > ? AND instance = ? AND finished_at IS NOT NULL")
                .params(id, reportJob.instance()).query(Long.class).single();
    }

    private long[] deposit(long account, long amount) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/accounts/" + account + "/deposits?amount=" + amount))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            Matcher m = DEPOSIT.matcher(response.body());
            assertThat(m.matches()).as(response.body()).isTrue();
            return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
