package io.robit.examples;

import io.robit.Held;
import io.robit.Mutex;
import io.robit.local.LocalDriver;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Two workers share one lock: the first hands it to the second, then the second's lease is broken
 * behind its back. The second is told it lost the lock, and its late write is refused by the fenced
 * resource. Prints a timeline; exits non-zero if anything went other than promised.
 */
public final class HandoverDemo {
    private final PrintStream out;
    private final long start = System.nanoTime();

    HandoverDemo(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        boolean ok = new HandoverDemo(System.out).run();
        System.exit(ok ? 0 : 1);
    }

    /** Runs the demo; true if every promise held. */
    boolean run() throws Exception {
        LocalDriver<String> backend = LocalDriver.create();
        FencedResource resource = new FencedResource();
        Duration ttl = Duration.ofSeconds(2);
        CountDownLatch toldLost = new CountDownLatch(1);

        Mutex<String> alice = Mutex.builder("report", ttl, backend).build();
        Mutex<String> bob = Mutex.builder("report", ttl, backend)
                .onLost(loss -> {
                    say("bob   : told the lock is lost (" + loss.reason() + ", token " + loss.fencingToken() + ")");
                    toldLost.countDown();
                })
                .build();

        Held a = alice.lock();
        say("alice : holds 'report' with fencing token " + a.fencingToken());
        resource.write(a.fencingToken(), "alice part 1");

        Thread bobThread = new Thread(() -> {
            try {
                say("bob   : waiting for 'report'");
                Optional<Held> b = bob.tryLock(Duration.ofSeconds(10));
                say("bob   : holds 'report' with fencing token " + b.orElseThrow().fencingToken());
                resource.write(b.get().fencingToken(), "bob part 2");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bob");
        bobThread.start();

        TimeUnit.MILLISECONDS.sleep(ttl.toMillis() + 500);
        say("alice : still holds it after " + (ttl.toMillis() + 500) + " ms (renewed " + alice.stats().renewSuccess() + " times); releasing");
        alice.unlock();
        bobThread.join();

        say("ops   : the lease on 'report' is deleted behind bob's back");
        backend.revoke("report");
        boolean told = toldLost.await(ttl.toMillis() * 2, TimeUnit.MILLISECONDS);

        Held again = alice.lock();
        say("alice : holds 'report' again with fencing token " + again.fencingToken());
        resource.write(again.fencingToken(), "alice part 3");
        boolean staleRefused = !resource.write(2, "bob's late write");
        say("bob   : a late write with token 2 was " + (staleRefused ? "refused by the fence" : "ACCEPTED (bug)"));
        alice.unlock();

        say("summary: accepted writes " + resource.accepted() + ", refused " + resource.rejected()
                + ", alice " + alice.stats().lockAcquired() + " acquisitions, bob lost " + bob.stats().lockLost());
        return told && staleRefused && bob.stats().lockLost() == 1 && resource.accepted().size() == 3;
    }

    private void say(String line) {
        out.printf("%6d ms  %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), line);
    }
}
