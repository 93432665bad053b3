package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class DurationsTest {
    @ParameterizedTest
    @CsvSource({"30s, PT30S", "500ms, PT0.5S", "1m30s, PT1M30S", "1.5h, PT1H30M", "2d, PT48H", "45, PT45S", "PT10S, PT10S",
        "0, PT0S", "' 2m ', PT2M", "1h2m3s4ms, PT1H2M3.004S"})
    void parsesWhatPeopleType(String text, String iso) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "-1s", "1y", "1 s", "1s2", "ms", "3q", "PTX", "1.s"})
    void rejectsEverythingElseNamingTheValue(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + text + "'");
    }

    @Test
    void waitAcceptsForeverAndTtlRejectsZero() {
        assertThat(new Durations.Wait().convert("forever")).isEqualTo(Durations.FOREVER);
        assertThat(new Durations.Wait().convert("0")).isZero();
        assertThatThrownBy(() -> new Durations.Positive().convert("0s")).isInstanceOf(TypeConversionException.class);
    }

    @ParameterizedTest
    @CsvSource({"PT0.25S, 250ms", "PT1.5S, 1.5s", "PT12S, 12s", "PT2M5S, 2m05s", "PT1H2M, 1h02m", "PT10S, 10s"})
    void formatsShortly(String iso, String text) {
        assertThat(Durations.format(Duration.parse(iso))).isEqualTo(text);
        assertThat(Durations.format(Durations.FOREVER)).isEqualTo("forever");
    }

    @Test
    void backendComesFromTheOptionThenTheEnvironmentThenTheStateDirectory() {
        assertThat(BackendOption.resolve("redis://h:6379", Map.of("ROBIT_BACKEND", "sqlite:/x.db"), "/home/u")).isEqualTo("redis://h:6379");
        assertThat(BackendOption.resolve(null, Map.of("ROBIT_BACKEND", "sqlite:/x.db"), "/home/u")).isEqualTo("sqlite:/x.db");
        assertThat(BackendOption.resolve(null, Map.of("XDG_STATE_HOME", "/var/state"), "/home/u"))
                .isEqualTo("sqlite:" + Path.of("/var/state/robit/robit.db"));
        assertThat(BackendOption.resolve(null, Map.of("XDG_STATE_HOME", "relative/ignored"), "/home/u"))
                .isEqualTo("sqlite:" + Path.of("/home/u/.local/state/robit/robit.db"));
        assertThat(BackendOption.resolve(null, Map.of("HOME", "/home/env"), "/home/jvm"))
                .as("$HOME wins over the JVM's user.home").isEqualTo("sqlite:" + Path.of("/home/env/.local/state/robit/robit.db"));
        assertThatThrownBy(() -> BackendOption.resolve(" ", Map.of(), "/home/u")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--backend must name a backend URI");
        assertThatThrownBy(() -> BackendOption.resolve(null, Map.of("ROBIT_BACKEND", ""), "/home/u"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ROBIT_BACKEND is set but blank");
    }
}
