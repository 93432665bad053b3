package io.robit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class DriverExceptionTest {

    @Test
    void namesTheRootCauseWhenTheCauseIsGeneric() {
        Exception cause = new RuntimeException("UNAVAILABLE: io exception\nChannel Pipeline: [SslHandler#0]",
                new IOException("wrapped", new SSLHandshakeException("PKIX path building failed")));
        DriverException e = new DriverException("etcd 127.0.0.1:2379", "orders", "acquire", cause);
        assertThat(e.getMessage()).isEqualTo("etcd 127.0.0.1:2379: acquire of lock 'orders' failed: RuntimeException: UNAVAILABLE: io exception"
                + " (root cause: SSLHandshakeException: PKIX path building failed)");
        assertThat(e.getCause()).isSameAs(cause);
    }

    @Test
    void doesNotRepeatARootCauseTheMessageAlreadyHas() {
        Exception cause = new RuntimeException("NOAUTH Authentication required", new IOException("NOAUTH Authentication required"));
        assertThat(new DriverException("redis h:1", "x", "acquire", cause).getMessage())
                .isEqualTo("redis h:1: acquire of lock 'x' failed: RuntimeException: NOAUTH Authentication required");
    }

    @Test
    void masksAPasswordACauseRepeats() {
        Exception cause = new IllegalStateException("cannot connect to redis://app:hunter22@10.0.0.1:6379");
        assertThat(new DriverException("redis 10.0.0.1:6379", "x", "acquire", cause).getMessage())
                .doesNotContain("hunter22").contains("redis://app:****@10.0.0.1:6379");
    }
}
