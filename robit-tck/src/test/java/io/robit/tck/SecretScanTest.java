package io.robit.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.robit.DriverException;
import io.robit.local.LocalDriver;
import io.robit.spi.Driver;
import io.robit.spi.Lease;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretScanTest {

    @Test
    void findsASecretInADeepCauseAndDoesNotRepeatIt() {
        RuntimeException leaky = new RuntimeException("outer", new IllegalStateException("inner", new Exception("auth with hunter22 failed")));
        assertThatThrownBy(() -> SecretScan.assertNoSecret(List.of("clean", leaky), "hunter22"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("item 1 (RuntimeException) contains secret #0")
                .hasMessageNotContaining("hunter22");
    }

    @Test
    void findsASecretInSuppressedExceptionsAndPlainText() {
        RuntimeException error = new RuntimeException("outer");
        error.addSuppressed(new Exception("pw=hunter22"));
        assertThatThrownBy(() -> SecretScan.assertNoSecret(List.of(error), "hunter22")).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> SecretScan.assertNoSecret(List.of("log: hunter22"), "hunter22")).isInstanceOf(AssertionError.class);
    }

    @Test
    void passesWhenNothingLeaks() {
        assertThatCode(() -> SecretScan.assertNoSecret(List.of(new RuntimeException("no auth"), "ok"), "hunter22")).doesNotThrowAnyException();
    }

    @Test
    void makesAPkiWhoseFilesArePem(@TempDir Path dir) throws IOException {
        TestPki pki = TestPki.create(dir, "client-a");
        assertThat(Files.readString(pki.caCert())).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(pki.clientKey())).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(pki.untrustedCaCert())).isNotEqualTo(Files.readString(pki.caCert()));
        assertThat(pki.serverKeyStore()).isRegularFile();
    }

    @Test
    void attemptCatchesTheErrorAndCopiesWhatWasPrinted() {
        SecretScan.Attempt attempt = SecretScan.attempt(() -> {
            System.err.println("log line with hunter22");
            throw new IllegalStateException("boom");
        });
        assertThat(attempt.error()).isInstanceOf(IllegalStateException.class).hasMessage("boom");
        assertThat(attempt.output()).contains("log line with hunter22");
        assertThatThrownBy(() -> SecretScan.assertNoSecret(attempt.shown(), "hunter22"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("item 1 (String)");
    }

    /** Negative control for the lifecycle checks of the security tests: a driver that leaks is caught. */
    @Test
    void aLifecycleCatchesALeakInLogsExceptionsAndToString() {
        AtomicBoolean broken = new AtomicBoolean();
        LocalDriver<String> local = LocalDriver.create();
        Driver<String> leaky = new Driver<>() {
            @Override
            public Optional<Lease> acquire(String id, Duration ttl, Duration timeout) throws InterruptedException {
                if (broken.get()) {
                    System.err.println("[WARN] reconnecting with password hunter22");
                    throw new DriverException("backend failed for user:hunter22", null);
                }
                return local.acquire(id, ttl, timeout);
            }

            @Override
            public void release(Lease lease) {
                local.release(lease);
            }

            @Override
            public String toString() {
                return "LeakyDriver[user:hunter22]";
            }
        };
        SecretScan.Lifecycle life = SecretScan.lifecycle(() -> leaky, () -> broken.set(true), () -> broken.set(false));
        assertThat(life.attempt().error()).isInstanceOf(DriverException.class);
        assertThatThrownBy(() -> SecretScan.assertNoSecret(life.shown(), "hunter22"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("item 0 (DriverException)").hasMessageContaining("item 1 (String)").hasMessageContaining("item 2");
    }
}
