package io.robit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;

/**
 * A log write that blocks (a full pipe, a busy disk, a logger's lock held by a preempted thread:
 * the long tier saw 3.7 s) must not hold up other holds' loss notices. Before the fix the loss log
 * was written on the timer thread, which also checks every hold's local deadline.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowLoggerTest {
    @Test
    void aBlockedLossLogDoesNotDelayAnotherHoldsNotice() throws Exception {
        CountDownLatch logWritten = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Logger stuck = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (proxy, method, args) -> {
            if (method.getName().equals("error")) {
                logWritten.countDown();
                release.await(30, TimeUnit.SECONDS);
            }
            return method.getReturnType() == boolean.class ? Boolean.TRUE : method.getReturnType() == String.class ? "stuck" : null;
        });
        ScriptedDriver first = new ScriptedDriver();
        ScriptedDriver second = new ScriptedDriver();
        Mutex<String> a = Mutex.builder("a", Duration.ofSeconds(1), first).renewPeriod(Duration.ofMillis(50)).logger(stuck).build();
        Mutex<String> b = Mutex.builder("b", Duration.ofSeconds(2), second).renewPeriod(Duration.ofMillis(50)).build();
        try {
            Held heldA = a.lock();
            Held heldB = b.lock();
            CompletableFuture<Void> bTold = heldB.lost().toCompletableFuture();
            first.refreshError = new DriverException("scripted", "a", "refresh", new java.io.IOException("timeout"));
            second.refreshError = new DriverException("scripted", "b", "refresh", new java.io.IOException("timeout"));

            assertThat(logWritten.await(20, TimeUnit.SECONDS)).as("a's loss was logged").isTrue();
            assertThat(heldA.isLost()).isTrue();
            // b's deadline comes about a second after a's loss, while a's log write is still stuck.
            bTold.get(15, TimeUnit.SECONDS);
            assertThat(release.getCount()).as("b was told while a's log write was still blocked").isEqualTo(1);
        } finally {
            release.countDown();
        }
    }
}
