package io.robit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.robit.Held;
import io.robit.LeaderElection;
import io.robit.Leadership;
import io.robit.Mutex;
import io.robit.local.LocalDriver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The leader election and asynchronous locking examples of README.md and docs/leader.md (checked by SnippetsTest), run. */
class LeaderExamplesTest {
    private static final Logger log = LoggerFactory.getLogger("app");
    private final LocalDriver<String> driver = LocalDriver.create();
    private final List<Long> started = new CopyOnWriteArrayList<>();
    private final AtomicBoolean working = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger stops = new java.util.concurrent.atomic.AtomicInteger();
    private final List<Long> written = new CopyOnWriteArrayList<>();

    @Test
    void electionWithCallbacks() throws Exception {
        LeaderElection<String> other = LeaderElection.builder("orders-leader", Duration.ofSeconds(10), driver).build();
        // snippet:leader
        LeaderElection<String> election = LeaderElection.builder("orders-leader", Duration.ofSeconds(10), driver)
                .onElected(leadership -> startWork(leadership.term()))  // on a new thread, once per term
                .onRevoked(loss -> stopWork())          // lost, never on close() or resignation
                .build();
        election.start();                               // campaigns in the background; again after a loss

        boolean leader = election.isLeader();
        Optional<Leadership> now = election.leadership();
        Optional<Leadership> got = election.awaitLeadership(Duration.ofSeconds(5));

        election.close();                               // resigns (not a loss) and stops campaigning
        // end::leader
        assertThat(got).isPresent();
        assertThat(started).containsExactly(got.get().term());
        other.start();
        assertThat(other.awaitLeadership(Duration.ofSeconds(5))).isPresent();
        other.close();
        // isLeader() then leadership(): the campaign may win between the two reads, never lose here
        // (no loss, no close yet), so "leader" implies a leadership, of the term awaited after.
        assertThat(!leader || now.isPresent()).as("leader=%s, leadership=%s", leader, now).isTrue();
        now.ifPresent(l -> assertThat(l.term()).isEqualTo(got.get().term()));

        // A loss (the lease broken behind the leader's back) calls onRevoked.
        LeaderElection<String> again = LeaderElection.builder("orders-leader", Duration.ofSeconds(10), driver)
                .onElected(leadership -> startWork(leadership.term())).onRevoked(loss -> stopWork()).build();
        again.start();
        again.awaitLeadership(Duration.ofSeconds(5)).orElseThrow();
        await().atMost(Duration.ofSeconds(5)).untilTrue(working);
        driver.revoke("orders-leader");
        await().atMost(Duration.ofSeconds(5)).until(() -> stops.get() == 1);
        again.close();
        assertThat(stops).as("close() is not a loss").hasValue(1);
    }

    @Test
    void workThatRunsWhileLeading() throws Exception {
        // snippet:leader-work
        LeaderElection<String> election = LeaderElection.builder("compactor", Duration.ofSeconds(10), driver)
                .onElected(leadership -> {
                    // Runs while this process leads: interrupted the moment leadership is lost.
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            compactOnePartition(leadership.term()); // pass the term: it fences stale leaders
                        }
                    } catch (InterruptedException e) {
                        log.info("no longer leader of term {}", leadership.term());
                    }
                })
                .build();
        election.start();
        // end::leader-work
        await().atMost(Duration.ofSeconds(5)).until(() -> written.size() >= 3);
        long term = election.leadership().orElseThrow().term();
        driver.revoke("compactor");
        // The work was interrupted; the candidate campaigns again and wins a greater term.
        await().atMost(Duration.ofSeconds(5)).until(() -> election.leadership().map(l -> l.term() > term).orElse(false));
        election.close();
        assertThat(written).allMatch(t -> t >= term);
    }

    @Test
    void asynchronousLocking() throws Exception {
        Mutex<String> holder = Mutex.of("invoices", Duration.ofSeconds(30), driver);
        Held held = holder.lock();
        // snippet:lock-async
        Mutex<String> mutex = Mutex.of("invoices", Duration.ofSeconds(30), driver);
        CompletableFuture<Held> whenHeld = mutex.lockAsync();   // no thread waits meanwhile
        whenHeld.thenAccept(h -> {
            try (h) {
                sendInvoices(h.fencingToken());
            }
        });

        Mutex<String> other = Mutex.of("invoices", Duration.ofSeconds(30), driver);
        CompletableFuture<Optional<Held>> within5s = other.tryLockAsync(Duration.ofSeconds(5)); // empty if it runs out
        within5s.cancel(true);  // stops waiting; a grant that races the cancel is released, never left held
        // end::lock-async
        assertThat(whenHeld).isNotDone();
        held.close();
        whenHeld.get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> !driver.isLocked("invoices"));
        assertThat(written).hasSize(1);
    }

    private void startWork(long term) {
        started.add(term);
        working.set(true);
    }

    private void stopWork() {
        working.set(false);
        stops.incrementAndGet();
    }

    private void compactOnePartition(long term) throws InterruptedException {
        written.add(term);
        TimeUnit.MILLISECONDS.sleep(20);
    }

    private void sendInvoices(long token) {
        written.add(token);
    }
}
