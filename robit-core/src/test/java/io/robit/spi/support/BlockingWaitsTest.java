package io.robit.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlockingWaitsTest {
    private final List<Duration> asked = new ArrayList<>();

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void blocksForOneSliceAtMostThenIsDone() {
        CompletableFuture<Void> done = BlockingWaits.inSlice(Duration.ofSeconds(30), Duration.ofMillis(200), asked::add);
        assertThat(done).isCompleted();
        assertThat(asked).containsExactly(Duration.ofMillis(200));
    }

    @Test
    void aShorterMaxWaitIsTheSlice() {
        BlockingWaits.inSlice(Duration.ofMillis(70), Duration.ofMillis(200), asked::add);
        assertThat(asked).containsExactly(Duration.ofMillis(70));
    }

    @Test
    void noTimeLeftDoesNotWait() {
        assertThat(BlockingWaits.inSlice(Duration.ZERO, Duration.ofMillis(200), asked::add)).isCompleted();
        assertThat(BlockingWaits.inSlice(Duration.ofMillis(-1), Duration.ofMillis(200), asked::add)).isCompleted();
        assertThat(asked).isEmpty();
    }

    @Test
    void anInterruptFailsTheFutureAndStaysOnTheThread() {
        CompletableFuture<Void> done = BlockingWaits.inSlice(Duration.ofSeconds(1), Duration.ofMillis(200), slice -> {
            throw new InterruptedException("stop");
        });
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
        assertThatThrownBy(done::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InterruptedException.class);
    }

    @Test
    void aFailureOfTheWaitFailsTheFuture() {
        CompletableFuture<Void> done = BlockingWaits.inSlice(Duration.ofSeconds(1), Duration.ofMillis(200), slice -> {
            throw new IllegalStateException("backend gone");
        });
        assertThatThrownBy(done::get).hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("backend gone");
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> BlockingWaits.inSlice(Duration.ofSeconds(1), Duration.ZERO, asked::add))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slice");
        assertThatThrownBy(() -> BlockingWaits.inSlice(null, Duration.ofMillis(1), asked::add)).hasMessageContaining("maxWait");
        assertThatThrownBy(() -> BlockingWaits.inSlice(Duration.ofSeconds(1), Duration.ofMillis(1), null)).hasMessageContaining("wait");
    }
}
