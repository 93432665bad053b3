package io.robit.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ArgumentsTest {

    @Test
    void durationsNameTheArgument() {
        assertThat(Arguments.positive("ttl", Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
        assertThatThrownBy(() -> Arguments.positive("ttl", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ttl must be positive, got PT0S");
        assertThatThrownBy(() -> Arguments.positive("timeout", Duration.ofSeconds(-1))).hasMessage("timeout must be positive, got PT-1S");
        assertThatThrownBy(() -> Arguments.positive("ttl", null)).isInstanceOf(NullPointerException.class).hasMessage("ttl must not be null");
        assertThat(Arguments.notNegative("wait", Duration.ZERO)).isZero();
        assertThatThrownBy(() -> Arguments.notNegative("wait", Duration.ofMillis(-1))).hasMessage("wait must not be negative, got PT-0.001S");
    }

    @Test
    void lockNamesInBytes() {
        assertThat(Arguments.lockNameBytes("abc", 3)).isEqualTo("abc");
        assertThat(Arguments.lockNameBytes("é", 2)).isEqualTo("é");
        assertThatThrownBy(() -> Arguments.lockNameBytes("é", 1)).hasMessage("lock id must be at most 1 bytes in UTF-8, got 2: 'é'");
        assertThat(Arguments.lockNameBytes("\uD83D\uDE00", 4)).hasSize(2);
        assertThatThrownBy(() -> Arguments.lockNameBytes("\uD83D\uDE00", 3)).hasMessageContaining("got 4");
        assertThatThrownBy(() -> Arguments.lockNameBytes("", 10)).isInstanceOf(IllegalArgumentException.class).hasMessage("lock id must not be empty");
        assertThatThrownBy(() -> Arguments.lockNameBytes(null, 10)).isInstanceOf(NullPointerException.class).hasMessage("lock id must not be null");
        assertThatThrownBy(() -> Arguments.lockNameBytes("a\uD800b", 10)).hasMessageContaining("unpaired surrogate at index 1");
    }

    @Test
    void lockNamesInCharacters() {
        assertThat(Arguments.lockNameCharacters("\uD83D\uDE00\uD83D\uDE00", 2, true)).isNotEmpty();
        assertThatThrownBy(() -> Arguments.lockNameCharacters("abc", 2, false)).hasMessage("lock id must be at most 2 characters, got 3: 'abc'");
        assertThatThrownBy(() -> Arguments.lockNameCharacters("a\0b", 10, true)).hasMessage("lock id must not contain NUL characters, got 'a?b'");
        assertThat(Arguments.lockNameCharacters("a\0b", 10, false)).hasSize(3);
    }

    @Test
    void longNamesAreShortenedInMessages() {
        String name = "x".repeat(500);
        assertThatThrownBy(() -> Arguments.lockNameBytes(name, 100)).hasMessage("lock id must be at most 100 bytes in UTF-8, got 500: '"
                + "x".repeat(40) + "...'");
    }
}
