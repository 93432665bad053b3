package io.robit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import org.junit.jupiter.api.Test;

/** Passwords never show in what Robit's exceptions print (issue 19, item 4). */
class CredentialMaskingTest {
    private static final String SECRET = "s3cretPassw0rd";

    @Test
    void driverExceptionMasksAUriPasswordInItsMessage() {
        DriverException e = new DriverException("redis 127.0.0.1:6379 (redis://u:" + SECRET + "@127.0.0.1): acquire failed", null);
        assertThat(e.getMessage()).doesNotContain(SECRET).contains("redis://u:****@127.0.0.1");
        DriverException composed = new DriverException("redis h:1", "lock", "acquire",
                new IllegalStateException("cannot connect to redis://:" + SECRET + "@h:1"));
        assertThat(composed.getMessage()).doesNotContain(SECRET);
    }

    @Test
    void openMasksWhatAProviderQuotesFromTheUri() {
        String uri = "redis://u:" + SECRET + "@%zz";
        IllegalArgumentException raw = new IllegalArgumentException("Redis URI '" + uri + "' is malformed",
                new URISyntaxException(uri, "Malformed escape pair", 19));
        RuntimeException masked = Drivers.withoutSecrets(raw, uri);

        assertThat(masked).isInstanceOf(IllegalArgumentException.class).hasNoCause();
        assertThat(trace(masked)).doesNotContain(SECRET).contains("redis://u:****@%zz");
        // The password alone, without its URI around it, is masked too.
        RuntimeException bare = Drivers.withoutSecrets(new IllegalStateException("wrong password " + SECRET), uri);
        assertThat(trace(bare)).doesNotContain(SECRET);
        // Nothing to mask: the very same exception, cause and all.
        IllegalArgumentException clean = new IllegalArgumentException("port missing", new RuntimeException("x"));
        assertThat(Drivers.withoutSecrets(clean, "redis://h")).isSameAs(clean);
    }

    @Test
    void openWithAnUnknownSchemeMasksThePassword() {
        assertThatThrownBy(() -> Drivers.open("nosuch://u:" + SECRET + "@host")).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(trace(e)).doesNotContain(SECRET));
    }

    private static String trace(Throwable e) {
        StringWriter text = new StringWriter();
        e.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
